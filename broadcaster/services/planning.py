"""Plan a broadcast: choose its recipients, record it, queue its chunk jobs.

Idempotent end to end: the broadcast id is derived from (incident, kind, tag); if it already
exists, planning only re-queues its chunks (deterministic job ids make that harmless). The
recipient lists are written to scratch keys and moved into the broadcast in the same
transaction that creates it, so a crash mid-planning leaves no half broadcast behind.

Who hears what (the audience rules):
  notice      the incident's segments, opted in, not opted out, minus a holdout, minus whoever
              an earlier notice of this incident already selected (a widened scope)
  update      exactly those the notices reached
  resolution  those the notices reached (or may have), and the holdout
  voucher     the customers the voucher service issued a voucher to
  follow_up   those the resolution reached
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
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
from broadcaster.config import Settings, WhatsAppSettings
from broadcaster.domain.cadence import CadencePolicy, Told, honest_eta, significant
from broadcaster.domain.deliveries import REACHED, State
from broadcaster.domain.incidents import Actor, AuditEntry, Incident, Severity, mark_notified
from broadcaster.domain.pricing import PriceTable
from broadcaster.domain.segments import Rule, Segment, union
from broadcaster.domain.templates import Kind
from broadcaster.domain.timefmt import format_rfc3339, parse_rfc3339
from broadcaster.errors import BroadcasterError, Conflict, InputError, NotFound
from broadcaster.metrics import INCIDENTS_RESOLVED
from broadcaster.ports import JobQueue
from broadcaster.rendering import Renderer
from broadcaster.services.chunk_queue import queue_due_chunks

logger = logging.getLogger(__name__)
SYSTEM = Actor("broadcaster", "system")


class NotReady(BroadcasterError):
    """Too early to plan this broadcast; the job tries again later."""


# a notice recipient in these states may have been told: they also hear that it is over
MAYBE_REACHED = REACHED | {State.SENDING, State.UNKNOWN}
TOLD_KINDS = (Kind.NOTICE, Kind.UPDATE)


def audience_rule(incident: Incident, segments: Mapping[str, Segment]) -> Rule:
    """The union of the incident's segments, each narrowed by the incident's labels."""
    missing = [name for name in incident.segments if name not in segments]
    if missing:
        raise InputError(f"unknown segments: {', '.join(missing)}")
    if not incident.segments:
        raise InputError(f"incident {incident.id} names no segment")
    return union([segments[name].selection(incident.labels) for name in incident.segments])


def send_estimate(
    whatsapp: WhatsAppSettings, prices: PriceTable, category: str, summary: AudienceSummary
) -> dict[str, Any]:
    """How long sending to ``summary``'s notified takes at the paced rate of every sender
    number together, and what it costs if all are delivered (Meta charges per delivery)."""
    numbers = max(1, len(whatsapp.phone_number_ids))
    rate = whatsapp.messages_per_second * whatsapp.rate_safety * numbers
    total = summary.notified
    share = total / summary.eligible if summary.eligible else 0.0
    return {
        "messages": total,
        "per_second": round(rate, 1),
        "seconds": round(total / rate, 1) if rate else None,
        "cost": prices.estimate(category, summary.by_calling_code, share),
        "currency": prices.currency,
        "category": category,
    }


def holdout_per_million(incident: Incident, settings: Settings) -> int:
    """The incident's own holdout share, else the configured one; never on a critical
    incident unless ``holdout_on_critical`` (an override cannot lift that)."""
    cfg = settings.broadcast
    if incident.severity is Severity.CRITICAL and not cfg.holdout_on_critical:
        return 0
    percent = cfg.holdout_percent if incident.holdout_percent is None else incident.holdout_percent
    return int(percent * 10_000)


def eta_kept(incident: Incident) -> str:
    """Was the incident over before the ETA customers were first told? kept, missed or none."""
    if incident.first_eta is None or incident.resolved_at is None:
        return "none"
    return "kept" if incident.resolved_at <= incident.first_eta else "missed"


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
    cadence: CadencePolicy

    async def plan(
        self,
        incident_id: str,
        kind: Kind,
        tag: str,
        recipients: Sequence[int] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> Broadcast | None:
        """Create (once) and queue the broadcast; ``recipients`` fixes the audience."""
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
            await self._ready(incident, kind)
            existing = await self._create(broadcast_id, incident, kind, recipients, extra)
        await self.queue_chunks(existing)
        return existing

    async def plan_update(self, incident_id: str) -> Broadcast | None:
        """The coalesced update: the latest state, if customers would learn something new."""
        incident = await self.incidents.get(incident_id)
        if not incident.active:
            return None
        if not significant(await self.last_told(incident_id), incident, self.cadence):
            logger.info("update not significant", extra={"incident_id": incident_id})
            return None
        return await self.plan(incident_id, Kind.UPDATE, f"r{incident.revision}")

    async def keep_promise(self, incident_id: str, promised_at: str) -> Broadcast | None:
        """No news since ``promised_at``'s message: tell customers we are still on it."""
        incident = await self.incidents.get(incident_id)
        told = [b for b in await self.broadcasts.for_incident(incident_id) if b.kind in TOLD_KINDS]
        if not incident.active or not told or told[-1].created_at > promised_at:
            return None
        stamp = int((parse_rfc3339(promised_at) or self.clock()).timestamp())
        return await self.plan(incident_id, Kind.UPDATE, f"p{stamp}", extra={"still_working": True})

    async def last_told(self, incident_id: str) -> Told | None:
        for broadcast in reversed(await self.broadcasts.for_incident(incident_id)):
            told = broadcast.context.get("told")
            if broadcast.kind in TOLD_KINDS and told:
                return Told(told["status"], parse_rfc3339(told.get("eta")))
        return None

    def _wanted(self, incident: Incident, kind: Kind) -> bool:
        if kind in TOLD_KINDS:
            return incident.active
        return True

    async def _ready(self, incident: Incident, kind: Kind) -> None:
        """A follow-up waits until the resolution has reached everyone it will reach."""
        if kind is not Kind.FOLLOW_UP:
            return
        for earlier in await self.broadcasts.for_incident(incident.id):
            if earlier.kind is Kind.RESOLUTION and earlier.status is BroadcastStatus.RUNNING:
                raise NotReady(f"the resolution of {incident.id} is still being sent")

    async def _create(
        self,
        broadcast_id: str,
        incident: Incident,
        kind: Kind,
        recipients: Sequence[int] | None,
        extra: Mapping[str, Any] | None,
    ) -> Broadcast:
        scratch = uuid.uuid4().hex[:12]
        seen = self.keys.incident_seen(incident.id, incident.episode)
        lists = AudienceLists(
            self.keys.scratch(f"{scratch}:send"),
            self.keys.scratch(f"{scratch}:held"),
            self.keys.scratch(f"{scratch}:eligible"),
            seen,
        )
        if kind is Kind.NOTICE and recipients is None:
            summary = await self.audiences.resolve(
                audience_rule(incident, self.segments),
                holdout_per_million=holdout_per_million(incident, self.settings),
                seed=holdout_seed(incident.id),
                destination=Destination(
                    lists.send_list,
                    lists.holdout_list,
                    lists.eligible,
                    exclude=seen,
                ),
            )
        else:
            chosen = (
                list(recipients)
                if recipients is not None
                else await self._follow_on(incident, kind)
            )
            await self._write_lists(lists, chosen)
            countries = await self._notice_countries(incident.id, len(chosen))
            summary = AudienceSummary(
                len(chosen), len(chosen), len(chosen), 0, by_calling_code=countries
            )
        now = self.clock()
        broadcast = Broadcast(
            id=broadcast_id,
            incident_id=incident.id,
            kind=kind,
            status=BroadcastStatus.RUNNING,
            total=summary.notified,
            chunk_size=self.settings.broadcast.chunk_size,
            created_at=format_rfc3339(now) or "",
            context=self._context(incident, kind, summary, now, extra),
            estimate=self._estimate(kind, summary),
        )
        created = await self.broadcasts.create(broadcast, lists)
        if created:
            await self._after_create(broadcast, incident)
        logger.info(
            "broadcast planned",
            extra={"broadcast_id": broadcast_id, "recipients": summary.notified, "new": created},
        )
        return await self.broadcasts.get(broadcast_id)

    def _context(
        self,
        incident: Incident,
        kind: Kind,
        summary: AudienceSummary,
        now: datetime,
        extra: Mapping[str, Any] | None,
    ) -> dict[str, Any]:
        context: dict[str, Any] = {
            "revision": incident.revision,
            "audience": summary.to_dict(),
            "extra": dict(extra or {}),
        }
        if kind in TOLD_KINDS:
            told_eta = honest_eta(incident.eta, self.cadence)
            context["told"] = {"status": incident.status.value, "eta": format_rfc3339(told_eta)}
            context["next_update_at"] = format_rfc3339(now + self.cadence.promise_every)
        if kind is Kind.FOLLOW_UP:
            context["extra"]["follow_up"] = {
                "ok_payload": f"FU:{incident.id}:ok",
                "down_payload": f"FU:{incident.id}:down",
            }
        return context

    async def _after_create(self, broadcast: Broadcast, incident: Incident) -> None:
        """What a new broadcast changes elsewhere: promises, superseded sends, the incident."""
        if broadcast.kind in (Kind.NOTICE, Kind.UPDATE):
            await self._record_told(incident.id)
        if broadcast.kind in TOLD_KINDS:
            await self.queue.enqueue(
                "keep_promise",
                incident.id,
                broadcast.created_at,
                job_id=f"promise:{broadcast.id}",
                defer_seconds=self.cadence.promise_every.total_seconds(),
            )
        if broadcast.kind in (Kind.UPDATE, Kind.RESOLUTION):
            # a newer state supersedes updates still on their way: never send a stale one
            stale = (Kind.UPDATE,) if broadcast.kind is Kind.UPDATE else (Kind.UPDATE, Kind.NOTICE)
            await self._supersede(incident.id, broadcast.id, stale)
        if broadcast.kind is Kind.RESOLUTION:
            INCIDENTS_RESOLVED.labels(eta_kept(incident)).inc()

    async def _supersede(self, incident_id: str, newer: str, kinds: tuple[Kind, ...]) -> None:
        for earlier in await self.broadcasts.for_incident(incident_id):
            if (
                earlier.id != newer
                and earlier.kind in kinds
                and earlier.status in (BroadcastStatus.RUNNING, BroadcastStatus.PAUSED)
            ):
                reason = f"superseded by {newer}"
                await self.broadcasts.set_status(earlier.id, BroadcastStatus.CANCELLED, reason)
                await self.queue.enqueue("skip_remaining", earlier.id, job_id=f"skip:{earlier.id}")

    async def resolution_audience(self, incident: Incident) -> list[int]:
        """Who hears that it is over (and may get a voucher): notices' recipients and holdout."""
        return await self._follow_on(incident, Kind.RESOLUTION)

    async def _follow_on(self, incident: Incident, kind: Kind) -> list[int]:
        """Recipients of an update, a resolution or a follow-up (see the module docstring)."""
        source = Kind.RESOLUTION if kind is Kind.FOLLOW_UP else Kind.NOTICE
        states = REACHED if kind is not Kind.RESOLUTION else MAYBE_REACHED
        chosen: dict[int, None] = {}
        for earlier in await self.broadcasts.for_incident(incident.id):
            if earlier.kind is not source:
                continue
            view = await self.broadcasts.view(earlier.id, 0, earlier.total)
            for ordinal, state in zip(view.ordinals, view.states, strict=True):
                if state in states:
                    chosen[ordinal] = None
            if kind is Kind.RESOLUTION:
                chosen.update(dict.fromkeys(await self.broadcasts.held(earlier.id)))
        return list(chosen)

    async def _write_lists(self, lists: AudienceLists, chosen: list[int]) -> None:
        pipe = self.redis.pipeline(transaction=True)
        pipe.set(lists.send_list, pack(chosen), ex=120)
        pipe.set(lists.holdout_list, b"", ex=120)
        pipe.set(lists.eligible, b"", ex=120)
        await pipe.execute()

    def _estimate(self, kind: Kind, summary: AudienceSummary) -> dict[str, Any]:
        template = self.renderer.template_for(kind, self.settings.app.default_language)
        category = template.category.value if template else "utility"
        return send_estimate(self.settings.whatsapp, self.prices, category, summary)

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

    async def _record_told(self, incident_id: str) -> None:
        """Customers are being told: mark the incident notified and keep the first ETA they
        hear (a notice without one leaves it to the first update that has one)."""
        for _ in range(5):
            incident = await self.incidents.get(incident_id)
            eta = honest_eta(incident.eta, self.cadence)
            if incident.notified and (incident.first_eta is not None or eta is None):
                return
            updated = mark_notified(incident, eta)
            what = "notice planned" if not incident.notified else "first ETA told"
            audit = AuditEntry(self.clock(), SYSTEM.name, SYSTEM.source, what, {})
            try:
                await self.incidents.save(updated, audit, incident.revision)
                return
            except Conflict:
                continue

    async def queue_chunks(self, broadcast: Broadcast) -> None:
        window = self.settings.broadcast.parallel_chunks
        await queue_due_chunks(self.broadcasts, self.queue, broadcast, window)
