"""The arq worker: broadcast planning, chunk sending, inbound handling, periodic chores.

Each job is a thin shim into the services. All recipient state lives outside arq, so a job
may run twice (arq re-runs jobs of killed workers) without sending twice. Chunk jobs re-queue
themselves with ``Retry(defer=...)`` while some of their recipients wait.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from functools import partial
from typing import Any

from aiohttp import web
from arq import Retry, cron, func
from arq.constants import in_progress_key_prefix
from arq.worker import Worker
from redis.exceptions import RedisError

from broadcaster.adapters.feeds import FeedError, fetch
from broadcaster.adapters.redis_connection import arq_settings
from broadcaster.bootstrap import Deps, build_deps
from broadcaster.clock import Clock, utc_now
from broadcaster.config import Settings
from broadcaster.domain.templates import Kind
from broadcaster.errors import InputError
from broadcaster.metrics import INTAKE_POLLS, JOBS, WORKER, WORKER_UP, describe_build, render
from broadcaster.services import holds as hold_service
from broadcaster.services.broadcast_control import skip_remaining
from broadcaster.services.chunk_queue import chunk_job_prefix
from broadcaster.services.deflection import finalize_due
from broadcaster.services.feed_polls import poll_statuspage, reconcile_alertmanager
from broadcaster.services.follow_up_replies import post_case
from broadcaster.services.inbound import handle_inbound_message
from broadcaster.services.incidents import relay_outbox
from broadcaster.services.intake import IntakeService, Receipt, intake_service
from broadcaster.services.planning import NotReady
from broadcaster.services.sending import send_chunk as send_chunk_service
from broadcaster.services.watchdog import watch

logger = logging.getLogger(__name__)
# young-generation size for a sending worker (CPython's default is 700; see settle_heap)
GC_YOUNG_THRESHOLD = 10_000


def _deps(ctx: dict[str, Any]) -> Deps:
    deps: Deps = ctx["deps"]
    return deps


async def plan_broadcast(ctx: dict[str, Any], incident_id: str, kind: str, tag: str) -> str:
    work = _deps(ctx).planner.plan(incident_id, Kind(kind), tag)
    broadcast = await _retrying(ctx, "plan_broadcast", work)
    return broadcast.id if broadcast else ""


async def _retrying(ctx: dict[str, Any], name: str, work: Awaitable[Any]) -> Any:
    """Run a planning job; unexpected errors retry later (state lives in Redis, not in arq)."""
    try:
        result = await work
    except NotReady as exc:
        JOBS.labels(name, "retry").inc()
        raise Retry(defer=_deps(ctx).settings.worker.max_defer.total_seconds()) from exc
    except InputError:
        logger.exception("job refused", extra={"job": name})
        JOBS.labels(name, "failed").inc()
        raise
    except Exception as exc:
        logger.exception("job failed", extra={"job": name})
        JOBS.labels(name, "error").inc()
        raise Retry(defer=min(60, 2 ** min(ctx.get("job_try", 1), 6))) from exc
    JOBS.labels(name, "done").inc()
    return result


async def plan_update(ctx: dict[str, Any], incident_id: str) -> str:
    broadcast = await _retrying(ctx, "plan_update", _deps(ctx).planner.plan_update(incident_id))
    return broadcast.id if broadcast else ""


async def keep_promise(ctx: dict[str, Any], incident_id: str, promised_at: str) -> str:
    work = _deps(ctx).planner.keep_promise(incident_id, promised_at)
    broadcast = await _retrying(ctx, "keep_promise", work)
    return broadcast.id if broadcast else ""


async def issue_vouchers(ctx: dict[str, Any], incident_id: str) -> int:
    report = await _retrying(
        ctx, "issue_vouchers", _deps(ctx).vouchers.issue_for_incident(incident_id)
    )
    return int(report.issued)


async def retry_vouchers(ctx: dict[str, Any], incident_id: str, round_: int) -> int:
    work = _deps(ctx).vouchers.retry_pending(incident_id, round_)
    report = await _retrying(ctx, "retry_vouchers", work)
    return int(report.issued)


async def post_follow_up_case(ctx: dict[str, Any], incident_id: str, ordinal: int) -> bool:
    posted: bool = await _retrying(
        ctx, "post_follow_up_case", post_case(_deps(ctx), incident_id, ordinal)
    )
    return posted


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
        raise Retry(defer=min(report.wait, deps.settings.worker.max_defer.total_seconds()))
    JOBS.labels("send_chunk", "done").inc()
    return report.sent


async def skip_broadcast_remaining(ctx: dict[str, Any], broadcast_id: str) -> int:
    deps = _deps(ctx)
    now_ms = int(deps.clock().timestamp() * 1000)
    return await skip_remaining(deps.broadcasts, broadcast_id, now_ms)


async def handle_inbound(ctx: dict[str, Any], message: dict[str, Any], received_ms: int = 0) -> str:
    try:
        outcome = await handle_inbound_message(_deps(ctx), message, received_ms)
    except (RedisError, OSError) as exc:
        # the contact is deduplicated and an answer is claimed before it is sent: safe to re-run
        logger.exception("inbound message not handled", extra={"type": message.get("type")})
        JOBS.labels("handle_inbound", "retry").inc()
        raise Retry(defer=min(60, 2 ** min(ctx.get("job_try", 1), 6))) from exc
    except Exception:
        # a message we cannot handle would fail the same way on every retry
        logger.exception("inbound message failed", extra={"type": message.get("type")})
        JOBS.labels("handle_inbound", "failed").inc()
        return "failed"
    JOBS.labels("handle_inbound", "done").inc()
    return outcome


async def finalize_deflection_job(ctx: dict[str, Any]) -> int:
    return await finalize_due(_deps(ctx))


async def relay_outbox_job(ctx: dict[str, Any]) -> int:
    deps = _deps(ctx)
    return await relay_outbox(deps.incident_store, deps.queue)


async def watchdog_job(ctx: dict[str, Any]) -> int:
    deps = _deps(ctx)
    window = deps.settings.broadcast.parallel_chunks
    return await watch(deps.broadcasts, deps.queue, deps.sending.milestones, window)


async def probe_hold_job(ctx: dict[str, Any]) -> bool:
    return await hold_service.probe(_deps(ctx))


def _intake(ctx: dict[str, Any]) -> IntakeService:
    intake: IntakeService = ctx["intake"]
    return intake


async def evaluate_signals(ctx: dict[str, Any], group_hash: str) -> str:
    """A group got new signals: declare, resolve or reopen as the de-flapping rules say."""
    step = await _intake(ctx).evaluate(group_hash)
    JOBS.labels("evaluate_signals", "done").inc()
    return type(step).__name__


async def evaluate_due_signals(ctx: dict[str, Any]) -> int:
    """The timers: groups whose fire/resolve/cooldown time has passed."""
    return await _intake(ctx).evaluate_due()


async def _poll(feed: str, run: Callable[[], Awaitable[Receipt]]) -> int:
    try:
        receipt = await run()
    except (FeedError, InputError) as exc:
        INTAKE_POLLS.labels(feed, "error").inc()
        logger.warning("poll failed", extra={"feed": feed, "error": str(exc)[:300]})
        return -1
    INTAKE_POLLS.labels(feed, "ok").inc()
    return sum(receipt.outcomes.values())


async def poll_statuspage_job(ctx: dict[str, Any]) -> int:
    deps, intake = _deps(ctx), _intake(ctx)
    cfg = deps.settings.intake.statuspage
    sweep = await intake.store.lease("statuspage-sweep", cfg.sweep_every)
    get = partial(fetch, deps.http)
    return await _poll("statuspage", lambda: poll_statuspage(intake, get, cfg.api_url, sweep))


async def reconcile_alertmanager_job(ctx: dict[str, Any]) -> int:
    deps, intake = _deps(ctx), _intake(ctx)
    url = deps.settings.intake.alertmanager.api_url
    get = partial(fetch, deps.http)
    return await _poll("alertmanager", lambda: reconcile_alertmanager(intake, get, url))


def every(period: timedelta) -> set[int]:
    """The seconds of each minute a cron with this period runs at (config checks it divides 60)."""
    return set(range(0, 60, int(period.total_seconds())))


def intake_crons(settings: Settings) -> list[Any]:
    intake = settings.intake
    crons = [cron(evaluate_due_signals, second=every(intake.evaluate_every), unique=True)]
    if intake.statuspage.api_url:
        second = every(intake.statuspage.poll_every)
        crons.append(cron(poll_statuspage_job, second=second, unique=True, run_at_startup=True))
    if intake.alertmanager.api_url:
        second = every(intake.alertmanager.reconcile_every)
        crons.append(cron(reconcile_alertmanager_job, second=second, unique=True))
    return crons


async def _metrics(request: web.Request) -> web.Response:
    body, content_type = render(WORKER)
    return web.Response(body=body, headers={"Content-Type": content_type})


async def _healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def _startup(ctx: dict[str, Any]) -> None:
    settings: Settings = ctx["settings"]
    stack = contextlib.AsyncExitStack()
    ctx["stack"] = stack
    deps = build_deps(settings, ctx.get("redis_url"), ctx.get("clock") or utc_now)
    ctx["deps"] = await stack.enter_async_context(deps)
    ctx["intake"] = intake_service(ctx["deps"])
    app = web.Application()
    app.router.add_get("/metrics", _metrics)
    app.router.add_get("/healthz", _healthz)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, settings.worker.metrics_host, settings.worker.metrics_port)
    await site.start()
    stack.push_async_callback(runner.cleanup)
    # the port bound (metrics_port 0 takes any free one: local stacks, tests)
    ctx["metrics_port"] = runner.addresses[0][1]
    WORKER_UP.set(1)
    if ctx.get("own_process"):
        settle_heap()
    logger.info("worker started", extra={"metrics_port": ctx["metrics_port"]})


def settle_heap() -> None:
    """Garbage-collector settings for a process that sends: fewer, cheaper collections.

    A sending worker allocates a few hundred short-lived objects per message (request, task,
    futures, the outcome); at CPython's default (a young collection every 700 allocations)
    many of them survive into the old generation while still in flight, and full
    collections of a heap that holds a chunk's recipients ran every few hundred
    milliseconds: a fifth of the worker's CPU. A larger young generation lets them die
    young; what start-up built (modules, locale data, compiled templates) is frozen out of
    every collection.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(GC_YOUNG_THRESHOLD, *gc.get_threshold()[1:])


async def _shutdown(ctx: dict[str, Any]) -> None:
    WORKER_UP.set(0)
    stack: contextlib.AsyncExitStack | None = ctx.get("stack")
    if stack is not None:
        await stack.aclose()
    logger.info("worker stopped")


def new_event_loop() -> asyncio.AbstractEventLoop:
    """The worker process's event loop: uvloop where it is installed, else asyncio's.

    A sending worker is mostly event-loop and transport work (a request, a task and a few
    futures per message); uvloop did the same broadcast with about 9% less CPU per message
    (benchmarks/send_throughput.py, five rounds against the same simulator and Redis).
    """
    try:
        import uvloop
    except ImportError:  # pragma: no cover - a platform without uvloop (Windows)
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


class BroadcastWorker(Worker):
    """arq's Worker, taking at most ``max_chunks`` chunk jobs at once and without the Redis
    round trips a poll spends on its own running jobs."""

    def __init__(self, *args: Any, max_chunks: int, chunk_prefix: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.max_chunks = max_chunks
        self.chunk_prefix = chunk_prefix

    async def start_jobs(self, job_ids: list[bytes]) -> None:
        # A running job stays in the queue until it ends, so every poll lists it again and
        # arq checks it in Redis (WATCH, EXISTS, ZSCORE: three round trips per job, twenty
        # polls a second while chunks send). A job this process is running is skipped here.
        running = {j for j, t in self.tasks.items() if not t.done()}
        fresh = [j for j in job_ids if j.decode() not in running]
        # arq takes every due job up to max_jobs: the first worker to poll would take a whole
        # broadcast window and leave the others idle. Chunks past our share stay queued, and
        # the share is counted among chunks no other worker runs yet (those come first in
        # the queue: counted blindly, they would use up our share and we would take none).
        chunks = [j for j in fresh if j.decode().startswith(self.chunk_prefix)]
        room = self.max_chunks - sum(j.startswith(self.chunk_prefix) for j in running)
        free: list[bytes] = []
        if chunks and room > 0:
            async with self.pool.pipeline(transaction=False) as pipe:
                for job_id in chunks:
                    pipe.exists(in_progress_key_prefix + job_id.decode())
                elsewhere = await pipe.execute()
            free = [j for j, busy in zip(chunks, elsewhere, strict=True) if not busy][:room]
        left = set(chunks).difference(free)
        await super().start_jobs([j for j in fresh if j not in left])

    async def close(self) -> None:
        # arq's close() cancels the running jobs (unless a signal handler did), then gathers
        # them without return_exceptions: a job that ends cancelled raises out of close()
        # before on_shutdown runs and the Redis pool is closed (leaked connections, a stale
        # worker_up). The jobs are settled here first; arq retries the cancelled ones.
        # A job already being cancelled (the caller sent handle_sig first, as the local stack
        # does) is not cancelled again: that would cut its cleanup short, and arq's wait_for
        # would leave the rest of it running unobserved after the pool closed.
        if not self._handle_signals:
            for task in self.tasks.values():
                if not task.cancelling():
                    task.cancel()
        await asyncio.gather(*self.tasks.values(), return_exceptions=True)
        self.tasks.clear()
        await super().close()


def create_worker(
    settings: Settings,
    redis_url: str | None = None,
    clock: Clock | None = None,
    own_process: bool = False,
    **overrides: Any,
) -> Worker:
    """An arq Worker for this deployment; ``overrides`` are for tests (burst=True...).

    ``own_process``: the worker is the process (``broadcaster worker``), so it may tune the
    process-wide garbage collector (see ``settle_heap``).
    """
    from broadcaster import __version__

    describe_build(__version__, settings.app.commit)
    w = settings.worker
    options: dict[str, Any] = {
        "functions": [
            plan_broadcast,
            send_chunk,
            func(skip_broadcast_remaining, name="skip_remaining"),
            handle_inbound,
            evaluate_signals,
            plan_update,
            keep_promise,
            issue_vouchers,
            retry_vouchers,
            post_follow_up_case,
        ],
        "cron_jobs": [
            cron(relay_outbox_job, second=set(range(0, 60, 5)), unique=True, run_at_startup=True),
            cron(probe_hold_job, second={0, 15, 30, 45}, unique=True),
            cron(watchdog_job, second={10, 40}, unique=True),
            *intake_crons(settings),
            cron(finalize_deflection_job, second={50}, unique=True),
        ],
        "redis_settings": arq_settings(settings.redis, redis_url),
        "queue_name": settings.redis.queue_name,
        "on_startup": _startup,
        "on_shutdown": _shutdown,
        "ctx": {
            "settings": settings,
            "redis_url": redis_url,
            "clock": clock,
            "own_process": own_process,
        },
        "max_jobs": w.max_jobs,
        "max_chunks": w.max_chunks,
        "chunk_prefix": chunk_job_prefix(settings.redis.key_prefix),
        "job_timeout": int(w.job_timeout.total_seconds()),
        "max_tries": w.max_tries,
        "poll_delay": w.poll_delay.total_seconds(),
        "keep_result": 0,
        "health_check_interval": 30,
        "handle_signals": True,
    }
    options.update(overrides)
    return BroadcastWorker(**options)
