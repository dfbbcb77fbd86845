"""The arq worker's polling: its own running jobs are not re-checked in Redis."""

from __future__ import annotations

import asyncio
from typing import Any

from broadcaster.worker import create_worker, new_event_loop


class RecordingPipeline:
    """Answers arq's claim check as if another worker held the job."""

    def __init__(self, pool: RecordingPool) -> None:
        self._pool = pool

    async def __aenter__(self) -> RecordingPipeline:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    async def watch(self, key: str) -> None:
        self._pool.checked.append(key)

    async def exists(self, key: str) -> int:
        return 1

    async def zscore(self, queue: str, job_id: str) -> float:
        return 1.0


class RecordingPool:
    def __init__(self) -> None:
        self.checked: list[str] = []

    def pipeline(self, transaction: bool = True) -> RecordingPipeline:
        return RecordingPipeline(self)


async def test_a_poll_skips_jobs_this_worker_is_running_without_asking_redis(make_settings):
    worker: Any = create_worker(make_settings())
    pool = RecordingPool()
    worker._pool = pool
    running = asyncio.get_running_loop().create_future()
    worker.tasks["send:b1:0:g0"] = running
    await worker.start_jobs([b"send:b1:0:g0", b"send:b1:1:g0"])
    assert pool.checked == ["arq:in-progress:send:b1:1:g0"], "only the job it is not running"
    assert worker.job_counter == 0
    running.cancel()


def test_the_worker_process_runs_on_uvloop_where_it_is_installed():
    loop = new_event_loop()
    try:
        assert type(loop).__module__.startswith("uvloop")
    finally:
        loop.close()
