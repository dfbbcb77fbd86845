"""The commander's verbs: declare, confirm, update, resolve, cancel (and intake's reopen).

Each verb loads the incident, applies the pure lifecycle (domain.incidents), and saves the
result with its audit entry and the follow-up actions in one atomic write (the outbox). The
relay then turns actions into jobs; a crash between the two is repaired by the outbox cron.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from broadcaster.adapters.incident_store import IncidentStore
from broadcaster.clock import Clock
from broadcaster.domain.incidents import (
    Actor,
    ChangeKind,
    Declaration,
    Incident,
    Outcome,
    Update,
    cancel,
    confirm,
    declare,
    reopen,
    resolve,
    update,
)
from broadcaster.domain.signals import Source
from broadcaster.domain.templates import Kind
from broadcaster.errors import Conflict
from broadcaster.metrics import SIGNAL_TO_DECLARED
from broadcaster.ports import JobQueue

logger = logging.getLogger(__name__)


def plan_action(incident: Incident, kind: Kind, tag: str) -> dict[str, Any]:
    """The outbox entry that plans one broadcast; its job id makes re-delivery harmless."""
    return {
        "function": "plan_broadcast",
        "args": [incident.id, kind.value, tag],
        "job_id": f"plan:{incident.id}:{kind.value}:{tag}",
    }


_NOTICE = frozenset({ChangeKind.CONFIRMED, ChangeKind.REOPENED, ChangeKind.SCOPE})
_UPDATE = frozenset({ChangeKind.ETA, ChangeKind.STATUS})
_SIGNAL_SOURCES = frozenset(source.value for source in Source)


@dataclass(frozen=True, slots=True)
class Timings:
    """When follow-on work happens: the update coalescing window, the follow-up delay."""

    coalesce: timedelta = timedelta(minutes=2)
    follow_up: timedelta | None = timedelta(hours=24)
    vouchers: bool = True


def actions_for(outcome: Outcome, timings: Timings = Timings()) -> list[dict[str, Any]]:
    """Which broadcasts a lifecycle change calls for.

    A notice when an incident goes live (confirmed, reopened) or reaches new segments (the
    planner leaves out whoever an earlier notice already selected); an update to those
    already told when the ETA or status changes — one job per incident, deferred by the
    coalescing window, so a burst of changes becomes one update with the latest state; on
    resolution, the resolution message, the vouchers, and the follow-up a day later.
    """
    incident = outcome.incident
    kinds = {change.kind for change in outcome.changes}
    actions = []
    if incident.active and kinds & _NOTICE:
        actions.append(plan_action(incident, Kind.NOTICE, f"r{incident.revision}"))
    if incident.active and kinds & _UPDATE and not kinds & {ChangeKind.CONFIRMED}:
        actions.append(
            {
                "function": "plan_update",
                "args": [incident.id],
                "job_id": f"update:{incident.id}",
                "defer_seconds": timings.coalesce.total_seconds(),
            }
        )
    if ChangeKind.RESOLVED in kinds and incident.notified:
        actions.append(plan_action(incident, Kind.RESOLUTION, f"r{incident.revision}"))
        if timings.vouchers:
            actions.append(
                {
                    "function": "issue_vouchers",
                    "args": [incident.id],
                    "job_id": f"vouchers:{incident.id}:r{incident.revision}",
                }
            )
        if timings.follow_up is not None:
            follow_up = plan_action(incident, Kind.FOLLOW_UP, f"r{incident.revision}")
            actions.append({**follow_up, "defer_seconds": timings.follow_up.total_seconds()})
    return actions


@dataclass
class IncidentService:
    store: IncidentStore
    queue: JobQueue
    clock: Clock
    segment_names: Callable[[], Sequence[str]]
    timings: Timings = Timings()

    async def declare(
        self, request: Declaration, actor: Actor, incident_id: str | None = None
    ) -> Incident:
        """A new incident; ``incident_id`` (reserved earlier) makes a retry refuse, not repeat."""
        incident_id = incident_id or await self.store.next_id()
        outcome = declare(incident_id, request, actor, self.clock())
        await self._commit(outcome, expected_revision=0)
        return outcome.incident

    async def confirm(self, incident_id: str, actor: Actor) -> Incident:
        return await self._change(incident_id, lambda i, now: confirm(i, actor, now))

    async def update(self, incident_id: str, request: Update, actor: Actor) -> Incident:
        return await self._change(incident_id, lambda i, now: update(i, request, actor, now))

    async def resolve(
        self, incident_id: str, actor: Actor, note: str | None = None, resolved_at: Any = None
    ) -> Incident:
        return await self._change(
            incident_id, lambda i, now: resolve(i, actor, now, note, resolved_at)
        )

    async def cancel(self, incident_id: str, actor: Actor, note: str | None = None) -> Incident:
        return await self._change(incident_id, lambda i, now: cancel(i, actor, now, note))

    async def reopen(self, incident_id: str, actor: Actor, confirmed: bool) -> Incident:
        return await self._change(incident_id, lambda i, now: reopen(i, actor, now, confirmed))

    async def _change(
        self, incident_id: str, apply: Callable[[Incident, Any], Outcome]
    ) -> Incident:
        for _ in range(5):
            current = await self.store.get(incident_id)
            outcome = apply(current, self.clock())
            try:
                await self._commit(outcome, expected_revision=current.revision)
            except Conflict:
                continue  # someone else changed it between our read and write: re-apply
            return outcome.incident
        raise Conflict(f"incident {incident_id} keeps changing; try again")

    async def _commit(self, outcome: Outcome, expected_revision: int) -> None:
        actions = actions_for(outcome, self.timings)
        await self.store.save(outcome.incident, outcome.audit, expected_revision, actions)
        _observe_lead_time(outcome)
        logger.info(
            "incident changed",
            extra={
                "incident_id": outcome.incident.id,
                "status": outcome.incident.status.value,
                "changes": [c.kind.value for c in outcome.changes],
                "actor": outcome.audit.actor,
            },
        )
        await relay_outbox(self.store, self.queue)


def _observe_lead_time(outcome: Outcome) -> None:
    """Time from an intake incident's first signal to going live (a manual one has no signal)."""
    incident = outcome.incident
    went_live = any(change.kind is ChangeKind.CONFIRMED for change in outcome.changes)
    if went_live and incident.declared_at and incident.source in _SIGNAL_SOURCES:
        lead = incident.declared_at - incident.started_at
        SIGNAL_TO_DECLARED.observe(max(0.0, lead.total_seconds()))


async def relay_outbox(store: IncidentStore, queue: JobQueue) -> int:
    """Enqueue every pending outbox action (deterministic job ids: repeats are harmless)."""
    done = 0
    for raw in await store.pending_actions():
        action = json.loads(raw)
        await queue.enqueue(
            action["function"],
            *action["args"],
            job_id=action["job_id"],
            defer_seconds=float(action.get("defer_seconds", 0)),
        )
        await store.action_done(raw)
        done += 1
    return done
