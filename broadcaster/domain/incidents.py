"""Incidents and their lifecycle: a pure state machine with an audit trail.

pending -> investigating -> identified -> monitoring -> resolved, or cancelled (a false alarm
before anything went out). ``pending`` waits for a commander's confirmation and sends nothing.
Every change returns a new ``Incident`` plus the ``Change`` events the service layer acts on
(notice, update, resolution broadcasts) and one ``AuditEntry`` naming who did it, from where.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from broadcaster.domain.timefmt import format_rfc3339, parse_rfc3339
from broadcaster.errors import Conflict, InputError


class Status(StrEnum):
    PENDING = "pending"
    INVESTIGATING = "investigating"
    IDENTIFIED = "identified"
    MONITORING = "monitoring"
    RESOLVED = "resolved"
    CANCELLED = "cancelled"


class Severity(StrEnum):
    MINOR = "minor"
    MAJOR = "major"
    CRITICAL = "critical"


ACTIVE = frozenset({Status.INVESTIGATING, Status.IDENTIFIED, Status.MONITORING})
OPEN = ACTIVE | {Status.PENDING}
TERMINAL = frozenset({Status.RESOLVED, Status.CANCELLED})

# Moves a commander may make with an update; resolve, cancel, confirm and reopen are verbs.
_UPDATE_MOVES: Mapping[Status, frozenset[Status]] = {
    Status.PENDING: frozenset({Status.INVESTIGATING, Status.IDENTIFIED, Status.MONITORING}),
    Status.INVESTIGATING: frozenset({Status.IDENTIFIED, Status.MONITORING}),
    Status.IDENTIFIED: frozenset({Status.INVESTIGATING, Status.MONITORING}),
    Status.MONITORING: frozenset({Status.INVESTIGATING, Status.IDENTIFIED}),
}


class ChangeKind(StrEnum):
    DECLARED = "declared"  # a new incident (pending or active)
    CONFIRMED = "confirmed"  # pending -> active: customers may now be told
    STATUS = "status"
    ETA = "eta"
    NOTE = "note"
    SCOPE = "scope"  # segments changed (a widened scope notifies the newly selected)
    RESOLVED = "resolved"
    CANCELLED = "cancelled"
    REOPENED = "reopened"


@dataclass(frozen=True, slots=True)
class Change:
    kind: ChangeKind
    old: str | None = None
    new: str | None = None


@dataclass(frozen=True, slots=True)
class AuditEntry:
    at: datetime
    actor: str
    source: str
    action: str
    changes: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "at": format_rfc3339(self.at),
            "actor": self.actor,
            "source": self.source,
            "action": self.action,
            "changes": dict(self.changes),
        }


@dataclass(frozen=True, slots=True)
class Actor:
    """Who made a change: a commander's token name, or an intake source such as alertmanager."""

    name: str
    source: str


@dataclass(frozen=True, slots=True)
class Incident:
    id: str
    title: str
    severity: Severity
    status: Status
    started_at: datetime
    source: str
    segments: tuple[str, ...] = ()
    labels: Mapping[str, str] = field(default_factory=dict)
    summary: str | None = None
    eta: datetime | None = None
    # the first ETA customers were told, for the "ETA kept" measure
    first_eta: datetime | None = None
    declared_at: datetime | None = None
    resolved_at: datetime | None = None
    note: str | None = None
    revision: int = 1
    notified: bool = False  # a notice went out: cancel is no longer an honest option
    # share of the audience held out to measure deflection; None = [broadcast] holdout_percent
    holdout_percent: float | None = None
    # 0, then 1, 2... each time the incident reopens: a new episode notifies everyone again
    episode: int = 0

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": self.status.value,
            "title": self.title,
            "severity": self.severity.value,
            "summary": self.summary,
            "eta": format_rfc3339(self.eta),
            "first_eta": format_rfc3339(self.first_eta),
            "started_at": format_rfc3339(self.started_at),
            "declared_at": format_rfc3339(self.declared_at),
            "resolved_at": format_rfc3339(self.resolved_at),
            "segments": list(self.segments),
            "labels": dict(self.labels),
            "source": self.source,
            "note": self.note,
            "revision": self.revision,
            "notified": self.notified,
            "holdout_percent": self.holdout_percent,
            "episode": self.episode,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Incident:
        return cls(
            id=data["id"],
            title=data["title"],
            severity=Severity(data["severity"]),
            status=Status(data["status"]),
            started_at=_required_time(data["started_at"]),
            source=data["source"],
            segments=tuple(data.get("segments") or ()),
            labels=dict(data.get("labels") or {}),
            summary=data.get("summary"),
            eta=parse_rfc3339(data.get("eta")),
            first_eta=parse_rfc3339(data.get("first_eta")),
            declared_at=parse_rfc3339(data.get("declared_at")),
            resolved_at=parse_rfc3339(data.get("resolved_at")),
            note=data.get("note"),
            revision=int(data.get("revision", 1)),
            notified=bool(data.get("notified", False)),
            episode=int(data.get("episode", 0)),
            holdout_percent=data.get("holdout_percent"),
        )


@dataclass(frozen=True, slots=True)
class Declaration:
    """A validated request to declare an incident (from the API, the CLI or intake)."""

    title: str
    severity: Severity
    segments: tuple[str, ...]
    eta: datetime | None = None
    summary: str | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    started_at: datetime | None = None
    confirmed: bool = True  # False: pending until a commander confirms
    holdout_percent: float | None = None


@dataclass(frozen=True, slots=True)
class Update:
    """A commander's update: any of a new ETA, a new status, a note, new segments."""

    eta: datetime | None = None
    status: Status | None = None
    note: str | None = None
    clear_eta: bool = False
    segments: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    incident: Incident
    changes: tuple[Change, ...]
    audit: AuditEntry


def declare(incident_id: str, request: Declaration, actor: Actor, now: datetime) -> Outcome:
    """A new incident: ``investigating`` when confirmed, else ``pending``."""
    if request.eta is not None and request.eta <= now:
        raise InputError("eta must be in the future", [f"eta: {format_rfc3339(request.eta)}"])
    status = Status.INVESTIGATING if request.confirmed else Status.PENDING
    incident = Incident(
        id=incident_id,
        title=request.title,
        severity=request.severity,
        status=status,
        started_at=request.started_at or now,
        source=actor.source,
        segments=request.segments,
        labels=dict(request.labels),
        summary=request.summary,
        eta=request.eta,
        declared_at=now if request.confirmed else None,
        holdout_percent=request.holdout_percent,
    )
    changes = [Change(ChangeKind.DECLARED, None, status.value)]
    if request.confirmed:
        changes.append(Change(ChangeKind.CONFIRMED))
    audit = AuditEntry(now, actor.name, actor.source, "declare", {"status": status.value})
    return Outcome(incident, tuple(changes), audit)


def confirm(incident: Incident, actor: Actor, now: datetime) -> Outcome:
    """A commander confirms a pending incident: from now on customers may be told."""
    if incident.status is not Status.PENDING:
        raise Conflict(
            f"incident {incident.id} is {incident.status}, only a pending one is confirmed"
        )
    _require_segments(incident)
    updated = dataclasses.replace(
        incident, status=Status.INVESTIGATING, declared_at=now, revision=incident.revision + 1
    )
    changes = (Change(ChangeKind.CONFIRMED, Status.PENDING.value, Status.INVESTIGATING.value),)
    audit = AuditEntry(now, actor.name, actor.source, "confirm", {"status": "investigating"})
    return Outcome(updated, changes, audit)


def update(incident: Incident, request: Update, actor: Actor, now: datetime) -> Outcome:
    """Apply an ETA, status or note change; refuse moves the lifecycle does not allow."""
    if incident.status in TERMINAL:
        raise Conflict(f"incident {incident.id} is {incident.status} and can no longer change")
    given = (request.eta, request.status, request.note, request.segments)
    if all(value is None for value in given) and not request.clear_eta:
        raise InputError("an update needs at least one of eta, status, note, segments")
    changes: list[Change] = []
    audit: dict[str, Any] = {}
    updated = _apply_scope(incident, request.segments, changes, audit)
    updated = _apply_status(updated, request.status, now, changes, audit)
    updated = _apply_eta(updated, request, now, changes, audit)
    if request.note is not None:
        changes.append(Change(ChangeKind.NOTE, None, request.note))
        audit["note"] = request.note
        updated = dataclasses.replace(updated, note=request.note)
    if not changes:
        raise Conflict(f"incident {incident.id} already is as asked: nothing changed")
    updated = dataclasses.replace(updated, revision=incident.revision + 1)
    entry = AuditEntry(now, actor.name, actor.source, "update", audit)
    return Outcome(updated, tuple(changes), entry)


def _apply_scope(
    incident: Incident,
    segments: tuple[str, ...] | None,
    changes: list[Change],
    audit: dict[str, Any],
) -> Incident:
    if segments is None or segments == incident.segments:
        return incident
    old, new = ",".join(incident.segments), ",".join(segments)
    changes.append(Change(ChangeKind.SCOPE, old, new))
    audit["segments"] = [list(incident.segments), list(segments)]
    return dataclasses.replace(incident, segments=segments)


def _apply_status(
    incident: Incident,
    status: Status | None,
    now: datetime,
    changes: list[Change],
    audit: dict[str, Any],
) -> Incident:
    if status is None or status is incident.status:
        return incident
    if status not in _UPDATE_MOVES[incident.status]:
        raise Conflict(
            f"incident {incident.id} cannot move from {incident.status} to {status}" + _hint(status)
        )
    changes.append(Change(ChangeKind.STATUS, incident.status.value, status.value))
    audit["status"] = [incident.status.value, status.value]
    if incident.status is Status.PENDING:
        _require_segments(incident)
        changes.append(Change(ChangeKind.CONFIRMED))
        return dataclasses.replace(incident, status=status, declared_at=now)
    return dataclasses.replace(incident, status=status)


def _apply_eta(
    incident: Incident,
    request: Update,
    now: datetime,
    changes: list[Change],
    audit: dict[str, Any],
) -> Incident:
    new_eta = None if request.clear_eta else request.eta
    if (request.eta is None and not request.clear_eta) or new_eta == incident.eta:
        return incident
    if new_eta is not None and new_eta <= now:
        raise InputError("eta must be in the future", [f"eta: {format_rfc3339(new_eta)}"])
    old, new = format_rfc3339(incident.eta), format_rfc3339(new_eta)
    changes.append(Change(ChangeKind.ETA, old, new))
    audit["eta"] = [old, new]
    return dataclasses.replace(incident, eta=new_eta)


def resolve(
    incident: Incident,
    actor: Actor,
    now: datetime,
    note: str | None = None,
    resolved_at: datetime | None = None,
) -> Outcome:
    """Close an incident. ``resolved_at`` lets a commander record when service really came back."""
    if incident.status in TERMINAL:
        raise Conflict(f"incident {incident.id} is already {incident.status}")
    at = resolved_at or now
    if at > now:
        raise InputError("resolved_at must not be in the future")
    if at < incident.started_at:
        raise InputError("resolved_at must not be before the incident started")
    updated = dataclasses.replace(
        incident,
        status=Status.RESOLVED,
        resolved_at=at,
        note=note if note is not None else incident.note,
        revision=incident.revision + 1,
    )
    changes = (Change(ChangeKind.RESOLVED, incident.status.value, Status.RESOLVED.value),)
    audit = AuditEntry(
        now, actor.name, actor.source, "resolve", {"resolved_at": format_rfc3339(at)}
    )
    return Outcome(updated, changes, audit)


def cancel(incident: Incident, actor: Actor, now: datetime, note: str | None = None) -> Outcome:
    """A false alarm: only possible while no customer has been told."""
    if incident.status in TERMINAL:
        raise Conflict(f"incident {incident.id} is already {incident.status}")
    if incident.notified:
        raise Conflict(
            f"incident {incident.id} was already announced to customers: resolve it instead"
        )
    updated = dataclasses.replace(
        incident,
        status=Status.CANCELLED,
        note=note or incident.note,
        revision=incident.revision + 1,
    )
    changes = (Change(ChangeKind.CANCELLED, incident.status.value, Status.CANCELLED.value),)
    audit = AuditEntry(now, actor.name, actor.source, "cancel", {"note": note})
    return Outcome(updated, changes, audit)


def reopen(incident: Incident, actor: Actor, now: datetime, confirmed: bool = True) -> Outcome:
    """A resolved incident fires again within its cooldown: the same incident, open again.

    ``confirmed`` False reopens it as ``pending``: customers hear nothing until a commander
    confirms (the policy that declared it applies to its return too).
    """
    if incident.status is not Status.RESOLVED:
        raise Conflict(f"incident {incident.id} is {incident.status}, only a resolved one reopens")
    status = Status.INVESTIGATING if confirmed else Status.PENDING
    if confirmed:
        _require_segments(incident)
    updated = dataclasses.replace(
        incident,
        status=status,
        resolved_at=None,
        revision=incident.revision + 1,
        episode=incident.episode + 1,  # customers told "fixed" must all hear it is back
    )
    changes = (Change(ChangeKind.REOPENED, Status.RESOLVED.value, status.value),)
    audit = AuditEntry(now, actor.name, actor.source, "reopen", {"status": status.value})
    return Outcome(updated, changes, audit)


def mark_notified(incident: Incident, eta: datetime | None) -> Incident:
    """Record that customers were told; the first ETA they heard is kept for "ETA kept"."""
    first = incident.first_eta if incident.first_eta is not None else eta
    return dataclasses.replace(
        incident, notified=True, first_eta=first, revision=incident.revision + 1
    )


def _require_segments(incident: Incident) -> None:
    """Customers are told only through segments: an incident without any cannot go live."""
    if not incident.segments:
        raise Conflict(
            f"incident {incident.id} names no segment: add segments with an update first"
        )


def _hint(target: Status) -> str:
    if target is Status.RESOLVED:
        return " (use resolve)"
    if target is Status.CANCELLED:
        return " (use cancel)"
    return ""


def _required_time(value: str) -> datetime:
    parsed = parse_rfc3339(value)
    assert parsed is not None
    return parsed
