"""Incidents in Redis: one JSON document each, an audit list, and an index by start time.

Writes are compare-and-set on the incident's revision (save_incident.lua): two commanders
updating at once cannot overwrite each other silently. The actions a change triggers (plan a
notice, an update, a resolution) are appended to an outbox in the same script, so a crash
right after the save cannot lose them; the relay enqueues them as jobs.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from broadcaster.adapters.keys import Keys
from broadcaster.adapters.lua import script
from broadcaster.adapters.redis_connection import Redis, as_text, awaited
from broadcaster.domain.incidents import AuditEntry, Incident, Status
from broadcaster.errors import Conflict, NotFound


class IncidentStore:
    def __init__(self, redis: Redis, keys: Keys) -> None:
        self._redis = redis
        self._keys = keys
        self._save = script(redis, "save_incident")

    async def next_id(self) -> str:
        return f"INC-{await self._redis.incr(self._keys.incident_seq)}"

    async def save(
        self,
        incident: Incident,
        audit: AuditEntry,
        expected_revision: int,
        actions: Sequence[dict[str, Any]] = (),
    ) -> None:
        """Store ``incident`` if its stored revision is ``expected_revision`` (0: new)."""
        k = self._keys
        result = await self._save(
            keys=[
                k.incident(incident.id),
                k.incident_audit(incident.id),
                k.incidents,
                k.outbox,
                k.open_incidents,
            ],
            args=[
                json.dumps(incident.to_dict(), ensure_ascii=False),
                expected_revision,
                json.dumps(audit.to_dict(), ensure_ascii=False),
                incident.started_at.timestamp(),
                len(actions),
                *(json.dumps(a, sort_keys=True) for a in actions),
            ],
        )
        if int(result) == 0:
            raise Conflict(f"incident {incident.id} already exists")
        if int(result) < 0:
            raise Conflict(f"incident {incident.id} was changed by someone else; retry")

    async def get(self, incident_id: str) -> Incident:
        raw = await awaited(self._redis.get(self._keys.incident(incident_id)))
        if raw is None:
            raise NotFound(f"no incident {incident_id!r}")
        return Incident.from_dict(json.loads(raw))

    async def newest(self, statuses: set[Status] | None = None, limit: int = 100) -> list[Incident]:
        """Newest first, optionally only some statuses."""
        ids = await awaited(self._redis.zrevrange(self._keys.incidents, 0, -1))
        out: list[Incident] = []
        for chunk_start in range(0, len(ids), 200):
            chunk = ids[chunk_start : chunk_start + 200]
            raws = await self._redis.mget([self._keys.incident(as_text(i)) for i in chunk])
            for raw in raws:
                if raw is None:
                    continue
                incident = Incident.from_dict(json.loads(raw))
                if statuses is None or incident.status in statuses:
                    out.append(incident)
                    if len(out) >= limit:
                        return out
        return out

    async def open(self) -> list[Incident]:
        """Incidents not yet resolved or cancelled (kept in a set by save_incident.lua)."""
        ids = sorted(
            as_text(i) for i in await awaited(self._redis.smembers(self._keys.open_incidents))
        )
        if not ids:
            return []
        raws = await self._redis.mget([self._keys.incident(i) for i in ids])
        return [Incident.from_dict(json.loads(raw)) for raw in raws if raw is not None]

    async def started_since(self, since: datetime) -> list[Incident]:
        """Incidents that started at or after ``since``, newest first (no full scan)."""
        ids = await awaited(
            self._redis.zrevrangebyscore(self._keys.incidents, "+inf", since.timestamp())
        )
        if not ids:
            return []
        raws = await self._redis.mget([self._keys.incident(as_text(i)) for i in ids])
        return [Incident.from_dict(json.loads(raw)) for raw in raws if raw is not None]

    async def audit(self, incident_id: str) -> list[dict[str, Any]]:
        raw = await awaited(self._redis.lrange(self._keys.incident_audit(incident_id), 0, -1))
        return [json.loads(entry) for entry in raw]

    async def pending_actions(self, limit: int = 100) -> list[str]:
        raw = await awaited(self._redis.lrange(self._keys.outbox, 0, limit - 1))
        return [as_text(r) for r in raw]

    async def action_done(self, action: str) -> None:
        await awaited(self._redis.lrem(self._keys.outbox, 1, action))
