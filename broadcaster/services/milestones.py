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

    async def after_progress(self, broadcast: Broadcast) -> None:
        if broadcast.kind is not Kind.NOTICE or broadcast.total == 0:
            return
        tally = Tally.from_counts(await self.broadcasts.counts(broadcast.id))
        if tally.sent == 0:
            return
        now = self.clock()
        stamp = format_rfc3339(now) or ""
        reached = [("first_at", None)] + [
            (f, s) for f, s in SHARES if tally.sent >= s * broadcast.total
        ]
        for field_name, share in reached:
            if await self.broadcasts.mark_once(broadcast.id, field_name, stamp):
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
            await self.broadcasts.mark_once(
                broadcast.id, "done_at", format_rfc3339(self.clock()) or ""
            )
        return True
