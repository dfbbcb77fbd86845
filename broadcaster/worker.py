"""The arq worker: broadcast planning, chunk sending, inbound handling, periodic chores.

Each job is a thin shim into the services. All recipient state lives outside arq, so a job
may run twice (arq re-runs jobs of killed workers) without sending twice. Chunk jobs re-queue
themselves with ``Retry(defer=...)`` while some of their recipients wait.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from aiohttp import web
from arq import Retry, cron, func
from arq.worker import Worker

from broadcaster.adapters.redis_connection import arq_settings
from broadcaster.bootstrap import Deps, build_deps
from broadcaster.config import Settings
from broadcaster.domain.templates import Kind
from broadcaster.errors import InputError
from broadcaster.metrics import JOBS, WORKER, WORKER_UP, describe_build, render
from broadcaster.services import holds as hold_service
from broadcaster.services.broadcast_control import skip_remaining
from broadcaster.services.incidents import relay_outbox
from broadcaster.services.opt_out import handle_inbound_message
from broadcaster.services.sending import send_chunk as send_chunk_service
from broadcaster.services.watchdog import watch

logger = logging.getLogger(__name__)


def _deps(ctx: dict[str, Any]) -> Deps:
    deps: Deps = ctx["deps"]
    return deps


async def plan_broadcast(ctx: dict[str, Any], incident_id: str, kind: str, tag: str) -> str:
    try:
        broadcast = await _deps(ctx).planner.plan(incident_id, Kind(kind), tag)
    except InputError:
        logger.exception("broadcast cannot be planned", extra={"incident_id": incident_id})
        JOBS.labels("plan_broadcast", "failed").inc()
        raise
    except Exception as exc:
        logger.exception("planning failed", extra={"incident_id": incident_id, "kind": kind})
        JOBS.labels("plan_broadcast", "error").inc()
        raise Retry(defer=min(60, 2 ** min(ctx.get("job_try", 1), 6))) from exc
    JOBS.labels("plan_broadcast", "done").inc()
    return broadcast.id if broadcast else ""


async def send_chunk(ctx: dict[str, Any], broadcast_id: str, chunk: int, generation: int) -> int:
    deps = _deps(ctx)
    soft = deps.settings.worker.soft_deadline.total_seconds()
    try:
        report = await send_chunk_service(deps.sending, broadcast_id, chunk, generation, soft)
    except Exception as exc:
        # recipient state is safe in Redis; arq would drop a failed job, so try again later
        logger.exception("chunk job failed", extra={"broadcast_id": broadcast_id, "chunk": chunk})
        JOBS.labels("send_chunk", "error").inc()
        raise Retry(defer=min(60, 2 ** min(ctx.get("job_try", 1), 6))) from exc
    if report.wait is not None:
        JOBS.labels("send_chunk", "retry").inc()
        raise Retry(defer=report.wait)
    JOBS.labels("send_chunk", "done").inc()
    return report.sent


async def skip_broadcast_remaining(ctx: dict[str, Any], broadcast_id: str) -> int:
    deps = _deps(ctx)
    now_ms = int(deps.clock().timestamp() * 1000)
    return await skip_remaining(deps.broadcasts, broadcast_id, now_ms)


async def handle_inbound(ctx: dict[str, Any], message: dict[str, Any]) -> str:
    return await handle_inbound_message(_deps(ctx), message)


async def relay_outbox_job(ctx: dict[str, Any]) -> int:
    deps = _deps(ctx)
    return await relay_outbox(deps.incident_store, deps.queue)


async def watchdog_job(ctx: dict[str, Any]) -> int:
    deps = _deps(ctx)
    window = deps.settings.broadcast.parallel_chunks
    return await watch(deps.broadcasts, deps.queue, deps.sending.milestones, window)


async def probe_hold_job(ctx: dict[str, Any]) -> bool:
    return await hold_service.probe(_deps(ctx))


async def _metrics(request: web.Request) -> web.Response:
    body, content_type = render(WORKER)
    return web.Response(body=body, headers={"Content-Type": content_type})


async def _healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def _startup(ctx: dict[str, Any]) -> None:
    settings: Settings = ctx["settings"]
    stack = contextlib.AsyncExitStack()
    ctx["stack"] = stack
    ctx["deps"] = await stack.enter_async_context(build_deps(settings, ctx.get("redis_url")))
    app = web.Application()
    app.router.add_get("/metrics", _metrics)
    app.router.add_get("/healthz", _healthz)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, settings.worker.metrics_host, settings.worker.metrics_port)
    await site.start()
    stack.push_async_callback(runner.cleanup)
    WORKER_UP.set(1)
    logger.info("worker started", extra={"metrics_port": settings.worker.metrics_port})


async def _shutdown(ctx: dict[str, Any]) -> None:
    WORKER_UP.set(0)
    stack: contextlib.AsyncExitStack | None = ctx.get("stack")
    if stack is not None:
        await stack.aclose()
    logger.info("worker stopped")


def create_worker(settings: Settings, redis_url: str | None = None, **overrides: Any) -> Worker:
    """An arq Worker for this deployment; ``overrides`` are for tests (burst=True...)."""
    from broadcaster import __version__

    describe_build(__version__, settings.app.commit)
    w = settings.worker
    options: dict[str, Any] = {
        "functions": [
            plan_broadcast,
            send_chunk,
            func(skip_broadcast_remaining, name="skip_remaining"),
            handle_inbound,
        ],
        "cron_jobs": [
            cron(relay_outbox_job, second=set(range(0, 60, 5)), unique=True, run_at_startup=True),
            cron(probe_hold_job, second={0, 15, 30, 45}, unique=True),
            cron(watchdog_job, second={10, 40}, unique=True),
        ],
        "redis_settings": arq_settings(settings.redis, redis_url),
        "queue_name": settings.redis.queue_name,
        "on_startup": _startup,
        "on_shutdown": _shutdown,
        "ctx": {"settings": settings, "redis_url": redis_url},
        "max_jobs": w.max_jobs,
        "job_timeout": int(w.job_timeout.total_seconds()),
        "max_tries": w.max_tries,
        "poll_delay": w.poll_delay.total_seconds(),
        "keep_result": 0,
        "health_check_interval": 30,
        "handle_signals": True,
    }
    options.update(overrides)
    return Worker(**options)
