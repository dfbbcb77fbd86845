"""De-flapping: when a group's signals declare, resolve or reopen its incident.

- A group declares only once one of its alerts has fired for ``fire_for`` without a break
  (a probe that flaps never gets there).
- Its incident resolves only once every alert has stayed resolved for ``resolve_after``.
- An alert that fires again within ``reopen_cooldown`` of the incident's end reopens the same
  incident instead of declaring a new one.
- An incident closed by a commander while alerts still fire is not declared again by those
  same occurrences; only a new occurrence can open (or reopen) one.

``evaluate`` is pure and takes ``now``: the worker calls it when a signal arrives and on a
short cron, does the step it returns, and calls again until it gets ``Wait``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime, timedelta

from broadcaster.domain.correlation import Group, Track
from broadcaster.domain.incidents import OPEN, Declaration, Incident, Status
from broadcaster.domain.policy import RANK, Policy
from broadcaster.domain.signals import Source


@dataclass(frozen=True, slots=True)
class Hysteresis:
    fire_for: timedelta
    resolve_after: timedelta
    reopen_cooldown: timedelta


@dataclass(frozen=True, slots=True)
class Wait:
    """Nothing to do before ``due`` (None: no timer). ``idle``: the group may be forgotten."""

    due: datetime | None = None
    idle: bool = False


@dataclass(frozen=True, slots=True)
class Save:
    """Store ``group`` as it is now (its incident closed or reopened, a reservation released)."""

    group: Group


@dataclass(frozen=True, slots=True)
class Reserve:
    """Take a new incident id for this group before declaring, so a retry cannot declare twice."""


@dataclass(frozen=True, slots=True)
class Declare:
    incident_id: str
    declaration: Declaration
    source: Source


@dataclass(frozen=True, slots=True)
class Confirm:
    """A pending incident whose signals now call for ``auto`` (say a warning became critical)."""

    incident_id: str


@dataclass(frozen=True, slots=True)
class Resolve:
    incident_id: str
    at: datetime


@dataclass(frozen=True, slots=True)
class Reopen:
    incident_id: str
    confirmed: bool


Step = Wait | Save | Reserve | Declare | Confirm | Resolve | Reopen


def evaluate(
    group: Group, incident: Incident | None, now: datetime, rules: Hysteresis, policy: Policy
) -> Step:
    """The next step for ``group``, whose attached incident (if any) is ``incident``."""
    live = group.live
    ripe = [t for t in live if now - t.since >= rules.fire_for]
    ripening = min((t.since + rules.fire_for for t in live if t not in ripe), default=None)
    if group.incident_id is None:
        return Reserve() if ripe else Wait(ripening, idle=not live)
    if incident is None:  # reserved, not declared yet
        if not ripe:
            return Save(dataclasses.replace(group, incident_id=None))
        declaration, source = plan_declaration(live, ripe, policy)
        return Declare(group.incident_id, declaration, source)
    if incident.status in OPEN:
        return _while_open(group, incident, ripe, now, rules, policy)
    if group.closed_at is None:
        return Save(group.closed(now))
    if ripe:
        start = min(t.since for t in ripe)
        if incident.status is Status.RESOLVED and start <= group.closed_at + rules.reopen_cooldown:
            return Reopen(incident.id, plan_declaration(live, ripe, policy)[0].confirmed)
        return Reserve()
    cooling = group.closed_at + rules.reopen_cooldown
    timers = [d for d in (ripening, cooling) if d is not None and d > now]
    return Wait(min(timers, default=None), idle=not live and now >= cooling)


def _while_open(
    group: Group,
    incident: Incident,
    ripe: list[Track],
    now: datetime,
    rules: Hysteresis,
    policy: Policy,
) -> Step:
    if group.closed_at is not None:  # reopened, by us or by a commander
        return Save(group.reopened())
    pending = incident.status is Status.PENDING and ripe
    if pending and plan_declaration(group.live, ripe, policy)[0].confirmed:
        return Confirm(incident.id)
    if group.firing:
        return Wait()
    quiet = max(t.resolved_at or t.since for t in group.tracks.values())
    if now - quiet >= rules.resolve_after:
        return Resolve(incident.id, max(quiet, incident.started_at))
    return Wait(quiet + rules.resolve_after)


def plan_declaration(
    live: list[Track], ripe: list[Track], policy: Policy
) -> tuple[Declaration, Source]:
    """The incident the live tracks describe; the longest-firing ripe track names it."""
    first = min(ripe, key=lambda t: (t.since, t.key))
    severity = {t.key: policy.severity(t.severity, t.labels) for t in live}
    segments = policy.segments_for(t.labels for t in live)
    auto = any(policy.decision(t.source, severity[t.key]) == "auto" for t in ripe)
    shared = dict(first.labels)
    for track in live:
        shared = {k: v for k, v in shared.items() if track.labels.get(k) == v}
    declaration = Declaration(
        title=first.title[:200],
        severity=max(severity.values(), key=RANK.__getitem__),
        segments=segments,
        summary=first.summary[:1000] if first.summary else None,
        labels=shared,
        started_at=min(t.since for t in live),
        confirmed=auto and bool(segments),
    )
    return declaration, first.source
