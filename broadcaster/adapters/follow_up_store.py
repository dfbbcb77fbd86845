"""Follow-up cases ("still broken" answers) and satisfaction scores, per incident."""

from __future__ import annotations

import json
from typing import Any

from broadcaster.adapters.keys import Keys
from broadcaster.adapters.redis_connection import Redis, as_text, awaited

CSAT_WINDOW_SECONDS = 24 * 3600  # the customer-service window the answer opened


class FollowUpStore:
    def __init__(self, redis: Redis, keys: Keys) -> None:
        self._redis = redis
        self._keys = keys

    async def open_case(self, incident_id: str, ordinal: int, case: dict[str, Any]) -> bool:
        """One case per (incident, customer); False if it was already open."""
        key = self._keys.follow_up_cases(incident_id)
        return bool(await awaited(self._redis.hsetnx(key, str(ordinal), json.dumps(case))))

    async def cases(self, incident_id: str) -> list[dict[str, Any]]:
        raw = await awaited(self._redis.hgetall(self._keys.follow_up_cases(incident_id)))
        return [json.loads(v) for v in raw.values()]

    async def case(self, incident_id: str, ordinal: int) -> dict[str, Any] | None:
        raw = await awaited(self._redis.hget(self._keys.follow_up_cases(incident_id), str(ordinal)))
        return json.loads(raw) if raw else None

    async def mark_posted(self, incident_id: str, ordinal: int, case: dict[str, Any]) -> None:
        key = self._keys.follow_up_cases(incident_id)
        await awaited(self._redis.hset(key, str(ordinal), json.dumps({**case, "posted": True})))

    async def expect_score(self, ordinal: int, incident_id: str) -> None:
        await self._redis.set(self._keys.csat_pending(ordinal), incident_id, ex=CSAT_WINDOW_SECONDS)

    async def take_expected(self, ordinal: int) -> str | None:
        """The incident a score from this customer is about, once (the question is answered)."""
        raw = await self._redis.getdel(self._keys.csat_pending(ordinal))
        return as_text(raw) if raw is not None else None

    async def record_score(self, incident_id: str, ordinal: int, score: int) -> None:
        await awaited(self._redis.hset(self._keys.csat(incident_id), str(ordinal), str(score)))

    async def scores(self, incident_id: str) -> list[int]:
        raw = await awaited(self._redis.hgetall(self._keys.csat(incident_id)))
        return [int(v) for v in raw.values()]
