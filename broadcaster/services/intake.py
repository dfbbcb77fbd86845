"""Intake: signals in, incidents declared, resolved and reopened by the de-flapping rules.

``accept`` runs inside a webhook request: it folds a delivery into its groups in one atomic
write and queues an evaluation per changed group; nothing else, so the sender gets its answer
in milliseconds. ``evaluate`` runs in the worker (right after a signal, and on a short cron
for the timers): it asks the pure rules (domain.hysteresis) for the next step, does it through
the commander's own IncidentService (same lifecycle, audit and outbox), and repeats until the
rules say wait. Every step is safe to repeat: a crashed evaluation is simply run again.
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from collections.abc import Awaitable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from broadcaster.adapters.incident_store import IncidentStore
from broadcaster.adapters.signal_store import Changes, SignalStore
from broadcaster.bootstrap import Deps
from broadcaster.clock import Clock
from broadcaster.domain.correlation import Group, group_key, observe
from broadcaster.domain.hysteresis import (
    Confirm,
    Declare,
    Hysteresis,
    Reopen,
    Reserve,
    Resolve,
    Save,
    Step,
    Wait,
    evaluate,
)
from broadcaster.domain.incidents import Actor, Incident
from broadcaster.domain.policy import Policy
from broadcaster.domain.signals import Delivery, Outcome, Signal
from broadcaster.domain.timefmt import format_rfc3339
from broadcaster.errors import Conflict, NotFound
from broadcaster.metrics import SIGNALS
from broadcaster.ports import JobQueue
from broadcaster.services.incidents import IncidentService

logger = logging.getLogger(__name__)
MAX_STEPS = 8  # a group needs at most reserve, declare, then a wait; more means a conflict loop


@dataclass(frozen=True, slots=True)
class Receipt:
    """What a delivery did, signal by signal; the webhook's answer."""

    outcomes: Mapping[Outcome, int]
    duplicate: bool = False  # the whole delivery was seen before

    def to_dict(self) -> dict[str, Any]:
        counts = {o.value: self.outcomes.get(o, 0) for o in Outcome if o is not Outcome.REJECTED}
        return {"duplicate_delivery": self.duplicate, "signals": counts}


def group_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:24]


@dataclass
class IntakeService:
    store: SignalStore
    incidents: IncidentService
    incident_store: IncidentStore
    queue: JobQueue
    clock: Clock
    scope_labels: Sequence[str]
    rules: Hysteresis
    policy: Policy

    async def accept(self, delivery: Delivery, dedupe: bool = True) -> Receipt:
        """Record ``delivery`` (once per delivery key when ``dedupe``) and queue evaluations."""
        now = self.clock()
        keyed = [(group_key(s, self.scope_labels), s) for s in delivery.signals]
        hashes = list(dict.fromkeys(group_hash(key) for key, _ in keyed))
        outcomes: list[Outcome] = []

        def apply(current: Mapping[str, Group | None]) -> Changes:
            outcomes.clear()
            changes = Changes()
            for key, signal in keyed:
                h = group_hash(key)
                group = changes.groups.get(h) or current[h] or Group(key)
                folded, outcome = observe(group, signal, now)
                outcomes.append(outcome)
                if outcome is Outcome.NEW:
                    changes.groups[h] = folded
                    changes.logs.setdefault(h, []).append(_log_entry(signal, now))
            return changes

        seen = (delivery.source.value, delivery.key) if dedupe else None
        changes = await self.store.record(seen, hashes, apply, now)
        counts = Counter(outcomes if changes is not None else [Outcome.DUPLICATE] * len(keyed))
        counts[Outcome.IGNORED] += delivery.ignored
        for outcome, n in counts.items():
            SIGNALS.labels(delivery.source.value, outcome.value).inc(n)
        for h in changes.groups if changes is not None else ():
            await self.queue.enqueue("evaluate_signals", h, job_id=f"eval:{h}:{now.timestamp()}")
        return Receipt(counts, duplicate=changes is None)

    async def evaluate(self, group_hash: str) -> Step | None:
        """Drive one group until the rules say wait; returns that wait (None: no such group)."""
        for _ in range(MAX_STEPS):
            loaded = await self.store.load(group_hash)
            if loaded is None:
                return None
            group, stored = loaded
            incident = await self._incident(group.incident_id)
            step = evaluate(group, incident, self.clock(), self.rules, self.policy)
            if isinstance(step, Wait):
                if await self.store.schedule(group_hash, stored, step.due, step.idle):
                    return step
                continue  # a signal came in meanwhile: evaluate what is there now
            await self._do(step, group_hash, group, stored, incident)
        logger.warning("signal group did not settle", extra={"group": group_hash})
        return None

    async def evaluate_due(self) -> int:
        """Evaluate every group whose timer has passed (the cron's job).

        One group that fails (a bug, a broken record) is logged and retried next time; it
        must not hold up every other outage behind it.
        """
        hashes = await self.store.due(self.clock())
        for h in hashes:
            try:
                await self.evaluate(h)
            except Exception:
                logger.exception("signal group evaluation failed", extra={"group": h})
        return len(hashes)

    async def _do(
        self, step: Step, h: str, group: Group, stored: bytes, incident: Incident | None
    ) -> None:
        actor = Actor("intake", incident.source if incident else "intake")
        match step:
            case Save(new):
                await self.store.replace(h, stored, new)
            case Reserve():
                incident_id = await self.incident_store.next_id()
                await self.store.link(incident_id, h)
                await self.store.replace(h, stored, group.attached(incident_id))
            case Declare(incident_id, declaration, source):
                call = self.incidents.declare(declaration, Actor("intake", source), incident_id)
                await _settled(call)
            case Confirm(incident_id):
                await _settled(self.incidents.confirm(incident_id, actor))
            case Resolve(incident_id, at):
                await _settled(self.incidents.resolve(incident_id, actor, resolved_at=at))
            case Reopen(incident_id, confirmed):
                await _settled(self.incidents.reopen(incident_id, actor, confirmed))
        logger.info("signal group stepped", extra={"group": h, "step": type(step).__name__})

    async def _incident(self, incident_id: str | None) -> Incident | None:
        if incident_id is None:
            return None
        try:
            return await self.incident_store.get(incident_id)
        except NotFound:
            return None


async def _settled(call: Awaitable[Any]) -> None:
    """Run an incident verb; a conflict means someone got there first (re-evaluated next)."""
    try:
        await call
    except Conflict as exc:
        logger.info("incident moved on", extra={"reason": exc.message})


def _log_entry(signal: Signal, now: datetime) -> dict[str, Any]:
    return {"received_at": format_rfc3339(now), **signal.to_dict(), "raw": dict(signal.raw)}


def intake_service(deps: Deps) -> IntakeService:
    """The intake of one process, over the adapters ``deps`` already holds."""
    cfg = deps.settings.intake
    return IntakeService(
        store=SignalStore(deps.redis, deps.keys, cfg.signal_retention),
        incidents=deps.incidents,
        incident_store=deps.incident_store,
        queue=deps.queue,
        clock=deps.clock,
        scope_labels=cfg.scope_labels,
        rules=Hysteresis(cfg.fire_for, cfg.resolve_after, cfg.reopen_cooldown),
        policy=deps.settings.policy,
    )
