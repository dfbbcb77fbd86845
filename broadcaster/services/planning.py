"""Plan a broadcast: choose its recipients, record it, queue its chunk jobs.

Idempotent end to end: the broadcast id is derived from (incident, kind, tag); if it already
exists, planning only re-queues its chunks (deterministic job ids make that harmless). The
recipient lists are written to scratch keys and moved into the broadcast in the same
transaction that creates it, so a crash mid-planning leaves no half broadcast behind.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from broadcaster.adapters.audience import (
    Audiences,
    AudienceSummary,
    Destination,
    holdout_seed,
    pack,
)
from broadcaster.adapters.broadcast_store import (
    AudienceLists,
    Broadcast,
    BroadcastStatus,
    BroadcastStore,
)
from broadcaster.adapters.incident_store import IncidentStore
from broadcaster.adapters.keys import Keys
from broadcaster.adapters.redis_connection import Redis
from broadcaster.clock import Clock
from broadcaster.config import Settings
from broadcaster.domain.deliveries import REACHED
from broadcaster.domain.incidents import Actor, AuditEntry, Incident, Severity, mark_notified
from broadcaster.domain.pricing import PriceTable
from broadcaster.domain.segments import Rule, Segment, union
from broadcaster.domain.templates import Kind
from broadcaster.domain.timefmt import format_rfc3339
from broadcaster.errors import Conflict, InputError, NotFound
from broadcaster.ports import JobQueue
from broadcaster.rendering import Renderer
from broadcaster.services.chunk_queue import queue_due_chunks

logger = logging.getLogger(__name__)
SYSTEM = Actor("broadcaster", "system")


def audience_rule(incident: Incident, segments: Mapping[str, Segment]) -> Rule:
    """The union of the incident's segments, each narrowed by the incident's labels."""
    missing = [name for name in incident.segments if name not in segments]
    if missing:
        raise InputError(f"unknown segments: {', '.join(missing)}")
    if not incident.segments:
        raise InputError(f"incident {incident.id} names no segment")
    return union([segments[name].selection(incident.labels) for name in incident.segments])


def holdout_per_million(incident: Incident, settings: Settings) -> int:
    """The incident's own holdout share, else the configured one; never on a critical
    incident unless ``holdout_on_critical`` (an override cannot lift that)."""
    cfg = settings.broadcast
    if incident.severity is Severity.CRITICAL and not cfg.holdout_on_critical:
        return 0
    percent = cfg.holdout_percent if incident.holdout_percent is None else incident.holdout_percent
    return int(percent * 10_000)


@dataclass
class Planner:
    settings: Settings
    clock: Clock
    redis: Redis
    keys: Keys
    incidents: IncidentStore
    broadcasts: BroadcastStore
    audiences: Audiences
    segments: Mapping[str, Segment]
    queue: JobQueue
    renderer: Renderer
    prices: PriceTable

    async def plan(self, incident_id: str, kind: Kind, tag: str) -> Broadcast | None:
        broadcast_id = f"{incident_id}-{kind.value}-{tag}"
        try:
            existing = await self.broadcasts.get(broadcast_id)
        except NotFound:
            existing = None
        if existing is None:
            incident = await self.incidents.get(incident_id)
            if not self._wanted(incident, kind):
                logger.info("broadcast not needed", extra={"broadcast_id": broadcast_id})
                return None
            existing = await self._create(broadcast_id, incident, kind)
        await self.queue_chunks(existing)
        return existing

    def _wanted(self, incident: Incident, kind: Kind) -> bool:
        if kind is Kind.NOTICE or kind is Kind.UPDATE:
            return incident.active
        return True

    async def _create(self, broadcast_id: str, incident: Incident, kind: Kind) -> Broadcast:
        scratch = uuid.uuid4().hex[:12]
        lists = AudienceLists(
            self.keys.scratch(f"{scratch}:send"),
            self.keys.scratch(f"{scratch}:held"),
            self.keys.scratch(f"{scratch}:eligible"),
        )
        if kind is Kind.NOTICE:
            summary = await self.audiences.resolve(
                audience_rule(incident, self.segments),
                holdout_per_million=holdout_per_million(incident, self.settings),
                seed=holdout_seed(incident.id),
                destination=Destination(
                    lists.send_list,
                    lists.holdout_list,
                    lists.eligible,
                    exclude=self.keys.incident_seen(incident.id),
                ),
            )
            total = summary.notified
        else:
            total = await self._follow_on_list(incident, lists)
            countries = await self._notice_countries(incident.id, total)
            summary = AudienceSummary(total, total, total, 0, by_calling_code=countries)
        broadcast = Broadcast(
            id=broadcast_id,
            incident_id=incident.id,
            kind=kind,
            status=BroadcastStatus.RUNNING,
            total=total,
            chunk_size=self.settings.broadcast.chunk_size,
            created_at=format_rfc3339(self.clock()) or "",
            context={"revision": incident.revision, "audience": summary.to_dict()},
            estimate=self._estimate(kind, summary),
        )
        created = await self.broadcasts.create(broadcast, lists)
        if kind is Kind.NOTICE and created:
            await self._mark_notified(incident.id)
        logger.info(
            "broadcast planned",
            extra={"broadcast_id": broadcast_id, "recipients": total, "new": created},
        )
        return await self.broadcasts.get(broadcast_id)

    async def _follow_on_list(self, incident: Incident, lists: AudienceLists) -> int:
        """Updates and resolutions go to exactly those the notices reached."""
        reached: list[int] = []
        for earlier in await self.broadcasts.for_incident(incident.id):
            if earlier.kind is not Kind.NOTICE:
                continue
            view = await self.broadcasts.view(earlier.id, 0, earlier.total)
            reached += [o for o, s in zip(view.ordinals, view.states, strict=True) if s in REACHED]
        pipe = self.redis.pipeline(transaction=True)
        pipe.set(lists.send_list, pack(reached), ex=120)
        pipe.set(lists.holdout_list, b"", ex=120)
        pipe.set(lists.eligible, b"", ex=120)
        await pipe.execute()
        return len(reached)

    def _estimate(self, kind: Kind, summary: AudienceSummary) -> dict[str, Any]:
        """How long the broadcast takes at the allowed rate, and what it costs if delivered."""
        wa = self.settings.whatsapp
        numbers = max(1, len(wa.phone_number_ids))
        rate = wa.messages_per_second * wa.rate_safety * numbers
        total = summary.notified
        template = self.renderer.template_for(kind, self.settings.app.default_language)
        category = template.category.value if template else "utility"
        share = total / summary.eligible if summary.eligible else 0.0
        return {
            "messages": total,
            "seconds": round(total / rate, 1) if rate else None,
            "cost": self.prices.estimate(category, summary.by_calling_code, share),
            "currency": self.prices.currency,
            "category": category,
        }

    async def _notice_countries(self, incident_id: str, total: int) -> dict[str, int]:
        """Recipients by calling code, scaled from the incident's notices to ``total``."""
        counts: dict[str, int] = {}
        notified = 0
        for earlier in await self.broadcasts.for_incident(incident_id):
            if earlier.kind is Kind.NOTICE:
                audience = earlier.context.get("audience", {})
                notified += int(audience.get("eligible", 0))
                for code, count in audience.get("by_calling_code", {}).items():
                    counts[code] = counts.get(code, 0) + int(count)
        if not notified:
            return {}
        return {code: round(count * total / notified) for code, count in counts.items()}

    async def _mark_notified(self, incident_id: str) -> None:
        for _ in range(5):
            incident = await self.incidents.get(incident_id)
            if incident.notified:
                return
            updated = mark_notified(incident, incident.eta)
            audit = AuditEntry(self.clock(), SYSTEM.name, SYSTEM.source, "notice planned", {})
            try:
                await self.incidents.save(updated, audit, incident.revision)
                return
            except Conflict:
                continue

    async def queue_chunks(self, broadcast: Broadcast) -> None:
        window = self.settings.broadcast.parallel_chunks
        await queue_due_chunks(self.broadcasts, self.queue, broadcast, window)
