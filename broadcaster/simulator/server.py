"""Run the simulator on a real socket: in a test (``run_simulator``) or as a process.

``run_simulator`` binds the socket itself, so ``port=0`` gives a free port with no race and
no private aiohttp attribute. Access logging is off: it would cost more than the request.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator
from dataclasses import dataclass

from broadcaster.listening import bound_socket, serving_app
from broadcaster.simulator.config import SimulatorConfig
from broadcaster.simulator.simulator import Simulator

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunningSimulator:
    """A simulator serving on ``url`` (the Graph base URL: ``{url}/v24.0/{id}/messages``)."""

    simulator: Simulator
    url: str
    host: str
    port: int


@contextlib.asynccontextmanager
async def run_simulator(
    config: SimulatorConfig, host: str = "127.0.0.1", port: int = 0
) -> AsyncIterator[RunningSimulator]:
    """Serve a new ``Simulator(config)`` until the block exits."""
    simulator = Simulator(config)
    sock = bound_socket(host, port)
    bound_host, bound_port = sock.getsockname()[:2]
    async with serving_app(simulator.make_app(), sock, shutdown_timeout=1.0) as url:
        yield RunningSimulator(simulator, url, bound_host, bound_port)


async def serve_forever(config: SimulatorConfig, host: str, port: int) -> None:
    """Serve until SIGTERM or SIGINT, then stop cleanly (the ``broadcaster simulator`` command)."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        async with run_simulator(config, host, port) as running:
            logger.info(
                "simulator listening",
                extra={"url": running.url, "phone_number_ids": list(config.phone_number_ids)},
            )
            await stop.wait()
            logger.info("simulator stopping")
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
