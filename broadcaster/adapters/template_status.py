"""What Meta last told us about each template: paused, disabled, or fine again.

Two sources feed it: the ``message_template_status_update`` webhook (authoritative, both
ways) and our own sends (132015 paused, 132016 disabled). A commander resuming a broadcast
clears what our sends recorded for its templates: the next refusal records it again. The
``broadcaster_template_paused`` gauge is read from here at scrape time.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from broadcaster.adapters.keys import Keys
from broadcaster.adapters.redis_connection import Redis, as_text, awaited

# Meta's events that stop a template from sending; any other event means it may send again
# (FLAGGED is a warning: the template still sends, and is paused if quality stays low)
BLOCKING = frozenset({"PAUSED", "DISABLED", "REJECTED", "PENDING_DELETION"})


@dataclass(frozen=True, slots=True)
class TemplateStatus:
    name: str
    code: str  # Meta's language code
    event: str
    reason: str
    at: str
    source: str  # "webhook" or "send"

    @property
    def blocked(self) -> bool:
        return self.event in BLOCKING


class TemplateStatuses:
    def __init__(self, redis: Redis, keys: Keys) -> None:
        self._redis = redis
        self._key = keys.template_status

    async def record(self, status: TemplateStatus) -> None:
        body = json.dumps(
            {
                "event": status.event,
                "reason": status.reason,
                "at": status.at,
                "source": status.source,
            }
        )
        await awaited(self._redis.hset(self._key, f"{status.name}|{status.code}", body))

    async def all(self) -> list[TemplateStatus]:
        raw = await awaited(self._redis.hgetall(self._key))
        out = []
        for field, body in raw.items():
            name, _, code = as_text(field).partition("|")
            data = json.loads(body)
            out.append(
                TemplateStatus(
                    name, code, data["event"], data["reason"], data["at"], data["source"]
                )
            )
        return out

    async def clear_from_sends(self, names: set[str]) -> None:
        """Forget what our own sends recorded for these templates (a commander resumed)."""
        stale = [
            f"{s.name}|{s.code}" for s in await self.all() if s.name in names and s.source == "send"
        ]
        if stale:
            await awaited(self._redis.hdel(self._key, *stale))
