"""Several workers share a broadcast: each takes at most its share of chunk jobs per poll."""

from __future__ import annotations

import asyncio
from typing import Any

from arq.constants import in_progress_key_prefix
from arq.worker import Worker

from broadcaster.services.chunk_queue import chunk_job_prefix
from broadcaster.worker import create_worker


async def test_a_worker_takes_its_share_of_free_chunks_and_leaves_the_rest_queued(
    make_settings, redis_client, monkeypatch
):
    settings = make_settings({"worker": {"max_chunks": 2}})
    worker: Any = create_worker(settings)
    worker._pool = redis_client
    started: list[bytes] = []

    async def record(self: Worker, job_ids: list[bytes]) -> None:
        started.extend(job_ids)

    monkeypatch.setattr(Worker, "start_jobs", record)
    prefix = chunk_job_prefix(settings.redis.key_prefix)
    chunks = [f"{prefix}INC-1-notice:{n}:g0".encode() for n in range(5)]
    other = f"{settings.redis.key_prefix}:plan:INC-1".encode()
    await redis_client.set(in_progress_key_prefix + chunks[0].decode(), b"1")  # another worker's

    await worker.start_jobs([*chunks, other])
    assert started == [chunks[1], chunks[2], other], "two free chunks; other jobs untouched"


async def test_a_worker_running_its_share_takes_no_more_chunks(make_settings, redis_client):
    settings = make_settings({"worker": {"max_chunks": 1}})
    worker: Any = create_worker(settings)
    worker._pool = redis_client
    prefix = chunk_job_prefix(settings.redis.key_prefix)
    running = f"{prefix}INC-1-notice:0:g0"
    task = asyncio.get_running_loop().create_future()
    worker.tasks[running] = task
    await worker.start_jobs([running.encode(), f"{prefix}INC-1-notice:1:g0".encode()])
    assert worker.job_counter == 0, "its one chunk is running: the next one is left queued"
    task.cancel()
