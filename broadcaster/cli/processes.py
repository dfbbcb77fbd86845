"""Long-running processes: ``serve`` (HTTP) and ``worker`` (arq)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal

from aiohttp import web
from redis.exceptions import RedisError

from broadcaster.bootstrap import build_deps
from broadcaster.config import Settings
from broadcaster.errors import BroadcasterError

logger = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = sub.add_parser("serve", help="HTTP server: webhooks, commander API, /metrics")
    serve.add_argument("--host", help="override [http] host")
    serve.add_argument("--port", type=int, help="override [http] port")
    serve.set_defaults(handler=run_serve)
    worker = sub.add_parser("worker", help="arq worker: broadcasts, pollers, follow-ups")
    worker.add_argument("--burst", action="store_true", help="exit when the queue is empty")
    worker.set_defaults(handler=run_worker)


def run_serve(args: argparse.Namespace, settings: Settings) -> int:
    return asyncio.run(serve(settings, args.host, args.port))


async def serve(settings: Settings, host: str | None = None, port: int | None = None) -> int:
    async with build_deps(settings) as deps:
        try:
            await deps.redis.ping()
        except (RedisError, OSError) as exc:
            raise BroadcasterError(f"cannot reach Redis at {settings.redis.url}: {exc}") from exc
        from broadcaster.web.app import create_app

        runner = web.AppRunner(
            create_app(deps),
            access_log=None,
            shutdown_timeout=settings.http.shutdown_timeout.total_seconds(),
        )
        await runner.setup()
        site = web.TCPSite(runner, host or settings.http.host, port or settings.http.port)
        await site.start()
        logger.info(
            "serving",
            extra={"host": host or settings.http.host, "port": port or settings.http.port},
        )
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        logger.info("shutting down")
        await runner.cleanup()
    return 0


def run_worker(args: argparse.Namespace, settings: Settings) -> int:
    from broadcaster.worker import create_worker, new_event_loop

    asyncio.set_event_loop(new_event_loop())  # arq runs the worker on the current loop
    worker = create_worker(settings, own_process=True, burst=args.burst, job_completion_wait=5)
    worker.run()
    return 0
