"""A worker stopped while a job runs still shuts down: on_shutdown runs, the pool closes."""

from __future__ import annotations

import asyncio
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
