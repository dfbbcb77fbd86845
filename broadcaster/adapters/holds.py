"""The account-wide hold: set when WhatsApp refuses our token or account, cleared by a probe.

While the hold is set no chunk job sends; they re-queue themselves and carry on by themselves
once the token works again (see ``services.holds``).
"""

from __future__ import annotations

from dataclasses import dataclass

from broadcaster.adapters.keys import Keys
from broadcaster.adapters.redis_connection import Redis, as_text, awaited


@dataclass(frozen=True, slots=True)
class Hold:
    reason: str
    code: int
    since: str


class Holds:
    def __init__(self, redis: Redis, keys: Keys) -> None:
        self._redis = redis
        self._key = keys.hold

    async def get(self) -> Hold | None:
        raw = await awaited(self._redis.hgetall(self._key))
        if not raw:
            return None
        fields = {as_text(k): as_text(v) for k, v in raw.items()}
        return Hold(fields.get("reason", ""), int(fields.get("code", "0")), fields.get("since", ""))

    async def set(self, reason: str, code: int, since: str) -> bool:
        """Hold all sending; True if this call started the hold."""
        created = await awaited(self._redis.hsetnx(self._key, "reason", reason))
        if created:
            await awaited(self._redis.hset(self._key, mapping={"code": str(code), "since": since}))
        return bool(created)

    async def clear(self) -> bool:
        return bool(await self._redis.delete(self._key))
