"""Incidents and their lifecycle: a pure state machine with an audit trail.

pending -> investigating -> identified -> monitoring -> resolved, or cancelled (a false alarm
before anything went out). ``pending`` waits for a commander's confirmation and sends nothing.
Every change returns a new ``Incident`` plus the ``Change`` events the service layer acts on
(notice, update, resolution broadcasts) and one ``AuditEntry`` naming who did it, from where.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
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
    SCOPE = "scope"  # segments or labels widened
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
    """A commander's update: any of a new ETA, a new status, a note."""

    eta: datetime | None = None
    status: Status | None = None
    note: str | None = None
    clear_eta: bool = False


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
    nothing = request.eta is None and request.status is None and request.note is None
    if nothing and not request.clear_eta:
        raise InputError("an update needs at least one of eta, status, note")
    changes: list[Change] = []
    audit: dict[str, Any] = {}
    updated = _apply_status(incident, request.status, now, changes, audit)
    updated = _apply_eta(updated, request, now, changes, audit)
    if request.note is not None:
        changes.append(Change(ChangeKind.NOTE, None, request.note))
        audit["note"] = request.note
        updated = dataclasses.replace(updated, note=request.note)
    if not changes:
        raise Conflict(f"incident {incident.id} already has that status and eta: nothing changed")
    updated = dataclasses.replace(updated, revision=incident.revision + 1)
    entry = AuditEntry(now, actor.name, actor.source, "update", audit)
    return Outcome(updated, tuple(changes), entry)


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


def reopen(incident: Incident, actor: Actor, now: datetime) -> Outcome:
    """A resolved incident fires again within its cooldown: the same incident, active again."""
    if incident.status is not Status.RESOLVED:
        raise Conflict(f"incident {incident.id} is {incident.status}, only a resolved one reopens")
    updated = dataclasses.replace(
        incident, status=Status.INVESTIGATING, resolved_at=None, revision=incident.revision + 1
    )
    changes = (Change(ChangeKind.REOPENED, Status.RESOLVED.value, Status.INVESTIGATING.value),)
    return Outcome(updated, changes, AuditEntry(now, actor.name, actor.source, "reopen", {}))


def mark_notified(incident: Incident, eta: datetime | None) -> Incident:
    """Record that customers were told; the first ETA they heard is kept for "ETA kept"."""
    first = incident.first_eta if incident.first_eta is not None else eta
    return dataclasses.replace(
        incident, notified=True, first_eta=first, revision=incident.revision + 1
    )


def parse_declaration(body: Any, known_segments: Sequence[str] | None = None) -> Declaration:
    """Validate a declare request body (CONTRACT.md); every problem is listed in the error."""
    problems: list[str] = []
    if not isinstance(body, Mapping):
        raise InputError("request body must be a JSON object")
    title = body.get("title")
    if not isinstance(title, str) or not title.strip():
        problems.append("title: required, a non-empty string")
    elif len(title) > 200:
        problems.append("title: at most 200 characters")
    severity = _enum(body.get("severity", "major"), Severity, "severity", problems)
    segments = _string_list(body.get("segments"), "segments", problems)
    if not segments and "segments" in body and not problems:
        problems.append("segments: name at least one segment")
    if known_segments is not None:
        problems += [
            f"segments: unknown segment {s!r}" for s in segments if s not in known_segments
        ]
    eta = _time(body.get("eta"), "eta", problems)
    summary = _optional_str(body.get("summary"), "summary", problems, 1000)
    labels = _labels(body.get("labels"), problems)
    if not segments and not labels and "segments" not in body:
        problems.append("segments: required (or labels that segments map from)")
    holdout = _holdout(body.get("holdout_percent"), problems)
    unknown = set(body) - {"title", "severity", "segments", "eta", "summary", "labels"}
    unknown -= {"holdout_percent"}
    problems += [f"{key}: unknown field" for key in sorted(unknown)]
    if problems:
        raise InputError("invalid incident declaration", problems)
    assert isinstance(title, str)
    assert severity is not None
    return Declaration(
        title=title.strip(),
        severity=severity,
        segments=tuple(segments),
        eta=eta,
        summary=summary,
        labels=labels,
        holdout_percent=holdout,
    )


def _holdout(value: Any, problems: list[str]) -> float | None:
    """A per-incident holdout share, 0 to 50 percent (null: the configured default)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 50:
        problems.append("holdout_percent: expected a percentage from 0 to 50, or null")
        return None
    return float(value)


def parse_update(body: Any) -> Update:
    """Validate an update request body: ``{"eta"?, "status"?, "note"?}``."""
    if not isinstance(body, Mapping):
        raise InputError("request body must be a JSON object")
    problems: list[str] = []
    status = _enum(body.get("status"), Status, "status", problems) if "status" in body else None
    if status in TERMINAL:
        problems.append(
            f"status: use the {'resolve' if status is Status.RESOLVED else 'cancel'} verb"
        )
    eta = _time(body.get("eta"), "eta", problems)
    note = _optional_str(body.get("note"), "note", problems, 1000)
    unknown = set(body) - {"eta", "status", "note"}
    problems += [f"{key}: unknown field" for key in sorted(unknown)]
    if problems:
        raise InputError("invalid incident update", problems)
    clear = "eta" in body and body["eta"] is None
    return Update(eta=eta, status=status, note=note, clear_eta=clear)


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


def _enum(value: Any, enum: type[StrEnum], key: str, problems: list[str]) -> Any:
    try:
        return enum(value)
    except ValueError:
        allowed = "|".join(m.value for m in enum)
        problems.append(f"{key}: expected {allowed}, got {value!r}")
        return None


def _time(value: Any, key: str, problems: list[str]) -> datetime | None:
    if value is None:
        return None
    try:
        if not isinstance(value, str):
            raise ValueError
        return parse_rfc3339(value)
    except ValueError:
        problems.append(f"{key}: expected an RFC 3339 time with offset, got {value!r}")
        return None


def _optional_str(value: Any, key: str, problems: list[str], limit: int) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        problems.append(f"{key}: expected a string")
        return None
    if len(value) > limit:
        problems.append(f"{key}: at most {limit} characters")
    return value


def _string_list(value: Any, key: str, problems: list[str]) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        problems.append(f"{key}: expected a list of non-empty strings")
        return []
    return list(dict.fromkeys(value))


def _labels(value: Any, problems: list[str]) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        problems.append("labels: expected an object of string values")
        return {}
    return dict(value)
