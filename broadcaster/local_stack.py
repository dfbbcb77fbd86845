"""A whole deployment in one process: simulator, HTTP server, worker, on one Redis.

Used by ``broadcaster demo`` and by the end-to-end tests. The server listens on a real socket
because the simulator posts its signed status webhooks to it, exactly as Meta would; the
worker is arq's real Worker running as a task of the same event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import signal
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp
from arq.worker import Worker

from broadcaster.adapters.template_files import load_catalog
from broadcaster.bootstrap import Deps, build_deps
from broadcaster.clock import Clock, utc_now
from broadcaster.config import Settings
from broadcaster.errors import ConfigError
from broadcaster.listening import bound_socket, serving_app, url_of
from broadcaster.logs import register_secrets
from broadcaster.simulator import RunningSimulator, SimulatorConfig, run_simulator
from broadcaster.simulator.from_catalog import approved_templates
from broadcaster.typed_config import Secret
from broadcaster.web.app import create_app
from broadcaster.worker import create_worker

LOCAL_TOKEN = "local-admin-token"  # noqa: S105 - only ever valid on this process's loopback


async def wait_until(predicate: Callable[[], Any], limit: float = 60, every: float = 0.1) -> Any:
    """Poll ``predicate`` (sync or async) until it returns something truthy; return that.

    ``limit`` only stops a broken run from hanging; nothing asserts on how long it took.
    """
    async with asyncio.timeout(limit):
        while True:
            result = predicate()
            if asyncio.iscoroutine(result):
                result = await result
            if result:
                return result
            await asyncio.sleep(every)


@dataclasses.dataclass
class LocalStack:
    settings: Settings
    deps: Deps
    sim: RunningSimulator
    api_url: str
    session: aiohttp.ClientSession
    worker: Worker | None = None
    worker_task: asyncio.Task[None] | None = None

    async def call(self, method: str, path: str, body: Any = None) -> Any:
        """A commander API call; any 4xx/5xx raises with the error body."""
        async with self.session.request(method, self.api_url + path, json=body) as response:
            data = await response.json()
            if response.status >= 400:
                raise RuntimeError(f"{method} {path}: {response.status} {data}")
            return data

    async def post_raw(self, path: str, body: bytes, headers: dict[str, str]) -> int:
        async with self.session.post(self.api_url + path, data=body, headers=headers) as response:
            await response.read()
            return response.status

    async def report(self, incident_id: str) -> dict[str, Any]:
        report: dict[str, Any] = await self.call("GET", f"/api/v1/incidents/{incident_id}/report")
        return report

    async def wait_for(self, predicate: Callable[[], Any], limit: float = 60) -> Any:
        return await wait_until(predicate, limit)

    @property
    def worker_metrics_port(self) -> int:
        """Where the started worker serves /metrics (a free port it bound at start-up)."""
        if self.worker is None or "metrics_port" not in self.worker.ctx:
            raise RuntimeError("the worker has not started")
        return int(self.worker.ctx["metrics_port"])

    def start_worker(self, **overrides: Any) -> None:
        options: dict[str, Any] = {"handle_signals": False, "poll_delay": 0.05}
        options.update(overrides)
        self.worker = create_worker(
            self.settings, self.settings.redis.url, self.deps.clock, **options
        )
        self.worker_task = asyncio.create_task(self.worker.async_run())

    async def stop_worker(self) -> None:
        if self.worker is not None and self.worker_task is not None:
            self.worker.handle_sig(signal.SIGINT)
            with contextlib.suppress(asyncio.CancelledError):
                await self.worker_task
            await self.worker.close()
        self.worker = None
        self.worker_task = None


def local_settings(
    base: Settings, redis_url: str, sim: RunningSimulator, http_port: int, **whatsapp: Any
) -> Settings:
    """``base`` pointed at the simulator, the given Redis and local ports (the worker's
    /metrics on any free one: ``LocalStack.worker_metrics_port``)."""
    config = sim.simulator.config
    wa = dataclasses.replace(
        base.whatsapp,
        api_base_url=sim.url,
        access_token=Secret(config.access_token),
        app_secret=Secret(config.app_secret),
        verify_token=Secret("local-verify-token"),
        phone_number_ids=list(config.phone_number_ids),
        waba_id=config.waba_id,
        **whatsapp,
    )
    return dataclasses.replace(
        base,
        redis=dataclasses.replace(base.redis, url=redis_url, url_was_set=True),
        http=dataclasses.replace(base.http, host="127.0.0.1", port=http_port),
        worker=dataclasses.replace(base.worker, metrics_port=0),
        api=dataclasses.replace(base.api, bootstrap_token=Secret(LOCAL_TOKEN)),
        whatsapp=wa,
    )


@contextlib.asynccontextmanager
async def local_stack(
    base: Settings,
    redis_url: str,
    sim_config: SimulatorConfig | None = None,
    root: Path = Path(),
    clock: Clock = utc_now,
    **whatsapp: Any,
) -> AsyncIterator[LocalStack]:
    """Run simulator + server (+ a worker on ``start_worker``) until the block exits."""
    catalog, problems = load_catalog(root / base.paths.templates)
    if problems:
        raise ConfigError(problems)
    # bound now, served once the app exists: the simulator needs the webhook URL first
    server_socket = bound_socket("127.0.0.1", 0)
    api_url = url_of(server_socket)
    config = sim_config or SimulatorConfig()
    config.templates = approved_templates(catalog)
    config.webhook_url = f"{api_url}/webhooks/whatsapp"
    # closed here if we fail before serving it (serving_app closes it afterwards)
    with contextlib.closing(server_socket):
        async with run_simulator(config) as sim:
            http_port = server_socket.getsockname()[1]
            settings = local_settings(base, redis_url, sim, http_port, **whatsapp)
            register_secrets(settings.secrets())
            headers = {"Authorization": f"Bearer {LOCAL_TOKEN}"}
            async with (
                build_deps(settings, redis_url, clock) as deps,
                serving_app(create_app(deps), server_socket),
                aiohttp.ClientSession(headers=headers) as session,
            ):
                stack = LocalStack(settings, deps, sim, api_url, session)
                try:
                    yield stack
                finally:
                    await stack.stop_worker()
