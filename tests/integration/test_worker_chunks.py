"""Several workers share a broadcast: each takes at most its share of chunk jobs per poll."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from arq.constants import in_progress_key_prefix
from arq.worker import Worker

from broadcaster.services.chunk_queue import chunk_job_prefix
from broadcaster.worker import create_worker


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """The job ids our filter hands to arq's own start_jobs (which would run them)."""
    ids: list[bytes] = []

    async def record(self: Worker, job_ids: list[bytes]) -> None:
        ids.extend(job_ids)

    monkeypatch.setattr(Worker, "start_jobs", record)
    return ids


def chunk_ids(settings: Any, count: int) -> list[bytes]:
    prefix = chunk_job_prefix(settings.redis.key_prefix)
    return [f"{prefix}INC-1-notice:{n}:g0".encode() for n in range(count)]


async def test_a_worker_takes_its_share_of_free_chunks_and_leaves_the_rest_queued(
    make_settings, redis_client, started
):
    settings = make_settings({"worker": {"max_chunks": 2}})
    worker: Any = create_worker(settings)
    worker._pool = redis_client
    chunks = chunk_ids(settings, 5)
    other = f"{settings.redis.key_prefix}:plan:INC-1".encode()
    await redis_client.set(in_progress_key_prefix + chunks[0].decode(), b"1")  # another worker's

    await worker.start_jobs([*chunks, other])
    assert started == [chunks[1], chunks[2], other], "two free chunks; other jobs untouched"


async def test_a_worker_running_its_share_takes_no_more_chunks(
    make_settings, redis_client, started
):
    settings = make_settings({"worker": {"max_chunks": 1}})
    worker: Any = create_worker(settings)
    worker._pool = redis_client
    running, waiting = chunk_ids(settings, 2)
    task = asyncio.get_running_loop().create_future()
    worker.tasks[running.decode()] = task
    await worker.start_jobs([running, waiting])
    assert started == [], "its one chunk is running: the next one is left queued"
    task.cancel()
