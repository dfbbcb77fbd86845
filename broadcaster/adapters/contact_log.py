"""Every customer contact, one text line each in a string per UTC day (``P:ct:<yyyymmdd>``).

Appending is O(1) and a day of 100,000 contacts is about 3 MB; each day expires after the
retention. Incidents are attributed when a report is computed (contact time within the
incident's window, customer in its audience), so a helpdesk batch that arrives hours late
or a message written before the incident was declared still counts. A dedupe key makes a
re-delivered webhook or a re-sent batch count once.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from broadcaster.adapters.keys import Keys
from broadcaster.adapters.lua import script
from broadcaster.adapters.redis_connection import Redis, awaited
from broadcaster.domain.contacts import LoggedContact, log_line, read_log

DEDUPE_TTL_SECONDS = 8 * 24 * 3600  # Meta re-delivers webhooks for up to 7 days
DAY_MS = 86_400_000


def day_of(at_ms: int) -> str:
    return datetime.fromtimestamp(at_ms / 1000, UTC).strftime("%Y%m%d")


class ContactLog:
    def __init__(self, redis: Redis, keys: Keys, retention: timedelta) -> None:
        self._redis = redis
        self._keys = keys
        self._retention_s = int(retention.total_seconds())
        self._record = script(redis, "record_contact")

    async def record(
        self,
        ordinal: int,
        at_ms: int,
        channel: str,
        topic: str = "",
        dedupe: str = "",
        now_ms: int = 0,
    ) -> bool:
        """Append one contact; False when ``dedupe`` was already recorded."""
        keys = [self._keys.contact_log(day_of(at_ms)), self._keys.contacts_since]
        if dedupe:
            keys.append(self._keys.seen("contact", dedupe))
        line = log_line(ordinal, at_ms, channel, topic)
        args = [line, self._retention_s, DEDUPE_TTL_SECONDS, now_ms or at_ms]
        return bool(await self._record(keys=keys, args=args))

    async def read(self, spans: Iterable[tuple[int, int]]) -> list[LoggedContact]:
        """Every contact logged on the days the ``(start_ms, end_ms)`` spans touch, each day
        read once (callers filter by time)."""
        days: set[str] = set()
        for start_ms, end_ms in spans:
            first = start_ms - start_ms % DAY_MS
            days.update(day_of(t) for t in range(first, end_ms + 1, DAY_MS))
        pipe = self._redis.pipeline(transaction=False)
        for day in sorted(days):
            pipe.get(self._keys.contact_log(day))
        return [entry for data in await pipe.execute() if data for entry in read_log(data)]

    async def covered_since(self, now_ms: int) -> int | None:
        """Since when the log is complete: its first write, or the retention horizon."""
        raw = await awaited(self._redis.get(self._keys.contacts_since))
        if raw is None:
            return None
        return max(int(raw), now_ms - self._retention_s * 1000)
