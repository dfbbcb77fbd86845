"""The arq queue behind the JobQueue port.

arq keeps a job's data, result and in-progress marker under ``arq:job:<id>``-style keys that
its queue name does not separate, and refuses a job whose id it still holds. Our job ids are
deterministic (``plan:INC-1:notice:r1``), so two deployments sharing one Redis (staging and
production, or a demo) would silently drop each other's jobs: every id is namespaced with the
deployment's key prefix.
"""

from __future__ import annotations

from typing import Any

from arq.connections import ArqRedis


class ArqQueue:
    def __init__(self, pool: ArqRedis, queue_name: str, namespace: str) -> None:
        self._pool = pool
        self._queue_name = queue_name
        self._namespace = namespace

    async def enqueue(
        self, function: str, *args: Any, job_id: str, defer_seconds: float = 0
    ) -> bool:
        job = await self._pool.enqueue_job(
            function,
            *args,
            _job_id=f"{self._namespace}:{job_id}",
            _queue_name=self._queue_name,
            _defer_by=defer_seconds or None,
        )
        return job is not None

    async def depth(self, now_ms: float) -> tuple[int, float]:
        """Jobs waiting and, of those due, the age in seconds of the oldest past its due time."""
        total = await self._pool.zcard(self._queue_name)
        oldest = await self._pool.zrangebyscore(
            self._queue_name, "-inf", "+inf", start=0, num=1, withscores=True
        )
        age = max(0.0, (now_ms - oldest[0][1]) / 1000) if oldest else 0.0
        return int(total), age
