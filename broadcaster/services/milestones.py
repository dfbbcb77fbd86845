"""Broadcast milestones: first message out, half and 95% of the audience sent, done.

Each milestone is recorded once (HSETNX on the broadcast) and observed once in the lead-time
histograms, whichever worker crosses it.
"""

from __future__ import annotations

from dataclasses import dataclass

from broadcaster.adapters.broadcast_store import Broadcast, BroadcastStatus, BroadcastStore
from broadcaster.adapters.incident_store import IncidentStore
from broadcaster.clock import Clock
from broadcaster.domain.deliveries import Tally
from broadcaster.domain.templates import Kind
from broadcaster.domain.timefmt import format_rfc3339
from broadcaster.metrics import INCIDENT_TO_AUDIENCE_NOTIFIED, INCIDENT_TO_FIRST_MESSAGE

SHARES = (("p50_at", 0.5), ("p95_at", 0.95))


@dataclass
class Milestones:
    broadcasts: BroadcastStore
    incidents: IncidentStore
    clock: Clock

    async def first_message(self, broadcast: Broadcast) -> None:
        """Called on the first accepted send of a notice in a process (the first one wins)."""
        if broadcast.kind is Kind.NOTICE:
            await self._mark(broadcast, "first_at", None)

    async def after_progress(self, broadcast: Broadcast) -> None:
        if broadcast.kind is not Kind.NOTICE or broadcast.total == 0:
            return
        tally = Tally.from_counts(await self.broadcasts.counts(broadcast.id))
        for field_name, share in SHARES:
            if tally.sent >= share * broadcast.total:
                await self._mark(broadcast, field_name, share)

    async def _mark(self, broadcast: Broadcast, field_name: str, share: float | None) -> None:
        now = self.clock()
        if not await self.broadcasts.mark_once(broadcast.id, field_name, format_rfc3339(now) or ""):
            return
        incident = await self.incidents.get(broadcast.incident_id)
        lead = max(0.0, (now - incident.started_at).total_seconds())
        if share is None:
            INCIDENT_TO_FIRST_MESSAGE.observe(lead)
        else:
            INCIDENT_TO_AUDIENCE_NOTIFIED.labels(str(share)).observe(lead)

    async def maybe_done(self, broadcast: Broadcast) -> bool:
        """Mark the broadcast done when no recipient is left to send to."""
        tally = Tally.from_counts(await self.broadcasts.counts(broadcast.id))
        if tally.queued:
            return False
        current = await self.broadcasts.get(broadcast.id)
        if current.status is BroadcastStatus.RUNNING:
            await self.broadcasts.set_status(broadcast.id, BroadcastStatus.DONE)
            stamp = format_rfc3339(self.clock()) or ""
            await self.broadcasts.mark_once(broadcast.id, "done_at", stamp)
        return True
