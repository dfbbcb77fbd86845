"""A worker stopped while a job runs still shuts down: on_shutdown runs, the pool closes."""

from __future__ import annotations

import asyncio
import signal
from typing import Any

from arq import create_pool

from broadcaster.adapters.redis_connection import arq_settings
from broadcaster.metrics import WORKER_UP
from broadcaster.worker import create_worker


async def test_a_job_cancelled_by_the_stop_does_not_cut_the_shutdown_short(
    make_settings, redis_url
):
    settings = make_settings()
    worker: Any = create_worker(settings, redis_url, handle_signals=False)
    pool = await create_pool(arq_settings(settings.redis, redis_url))
    worker._pool = pool
    await pool.set(worker.health_check_key, b"alive")
    WORKER_UP.set(1)
    started = asyncio.Event()

    async def job() -> None:  # a chunk still sending when the stop comes
        started.set()
        await asyncio.Event().wait()

    worker.tasks["send:INC-1-notice:0:g0"] = asyncio.create_task(job())
    await started.wait()

    await worker.close()

    assert WORKER_UP._value.get() == 0, "on_shutdown ran"
    assert worker._pool is None, "pool closed"
    assert worker.tasks == {}
    checker = await create_pool(arq_settings(settings.redis, redis_url))
    try:
        assert not await checker.exists(worker.health_check_key)
    finally:
        await checker.aclose()


async def test_a_stop_signal_then_close_lets_a_cancelled_job_finish_its_cleanup_first(
    make_settings, redis_url
):
    """The local stack and the demo stop their worker with ``handle_sig`` and then ``close``.

    A second cancel would cut the job's cleanup short (a chunk settling its requests in
    flight), and arq's ``wait_for`` would leave the rest of it running unobserved, writing
    to Redis after the pool closed.
    """
    settings = make_settings()
    worker: Any = create_worker(settings, redis_url, handle_signals=False)
    worker._pool = await create_pool(arq_settings(settings.redis, redis_url))
    started = asyncio.Event()
    cleaned_up: list[str] = []

    async def chunk() -> None:
        started.set()
        try:
            await asyncio.Event().wait()
        finally:
            await asyncio.sleep(0.05)  # the requests in flight come back
            cleaned_up.append("settled")

    # arq runs each job as wait_for(the function, job_timeout)
    worker.tasks["send:INC-1-notice:0:g0"] = asyncio.create_task(asyncio.wait_for(chunk(), 60))
    await started.wait()

    worker.handle_sig(signal.SIGINT)
    await asyncio.sleep(0.01)  # the stack awaits the worker's main task: the cleanup begins
    await worker.close()

    assert cleaned_up == ["settled"], "the job's cleanup ran to its end before the pool closed"
    assert worker._pool is None
