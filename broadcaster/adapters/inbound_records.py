"""What inbound handling keeps besides the contact log: answers sent per incident, the last
answer per customer (so it is not repeated), follow-up answers, final deflection estimates."""

from __future__ import annotations

import json
from typing import Any

from broadcaster.adapters.keys import Keys
from broadcaster.adapters.redis_connection import Redis, awaited


class InboundRecords:
    def __init__(self, redis: Redis, keys: Keys) -> None:
        self._redis = redis
        self._keys = keys

    async def count_answer(self, incident_id: str, outcome: str) -> None:
        """One status answer about ``incident_id`` was ``sent`` or ``failed``."""
        await awaited(self._redis.hincrby(self._keys.incident_replies(incident_id), outcome, 1))

    async def answers(self, incident_id: str) -> dict[str, int]:
        raw = await awaited(self._redis.hgetall(self._keys.incident_replies(incident_id)))
        return {k.decode(): int(v) for k, v in raw.items()}

    async def claim_answer(self, ordinal: int, digest: str, cooldown_s: int) -> bool:
        """Remember ``digest`` as the customer's last answer; False if it already was."""
        key = self._keys.last_answer(ordinal)
        previous = await self._redis.set(key, digest, ex=max(1, cooldown_s), get=True)
        return previous is None or previous.decode() != digest

    async def release_answer(self, ordinal: int) -> None:
        """The answer could not be sent: let the next message try again."""
        await self._redis.delete(self._keys.last_answer(ordinal))

    async def follow_up_answer(
        self, incident_id: str, ordinal: int, answer: str, at_ms: int
    ) -> bool:
        """Store a customer's answer to a follow-up (the latest wins); True if it is new."""
        key = self._keys.incident_follow_ups(incident_id)
        added = await awaited(self._redis.hset(key, str(ordinal), f"{answer},{at_ms}"))
        return bool(added)

    async def follow_up_answers(self, incident_id: str) -> dict[int, str]:
        raw = await awaited(self._redis.hgetall(self._keys.incident_follow_ups(incident_id)))
        return {int(k): v.decode().split(",")[0] for k, v in raw.items()}

    async def final_deflection(self, incident_id: str) -> dict[str, Any] | None:
        raw = await awaited(self._redis.get(self._keys.incident_deflection(incident_id)))
        return None if raw is None else dict(json.loads(raw))

    async def finalize_deflection(self, incident_id: str, deflection: dict[str, Any]) -> bool:
        """Store the final estimate once; False when another worker already did."""
        key = self._keys.incident_deflection(incident_id)
        body = json.dumps(deflection, ensure_ascii=False)
        return bool(await self._redis.set(key, body, nx=True))
