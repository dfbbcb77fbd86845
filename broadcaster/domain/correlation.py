"""Correlation: signals folded into groups, one group per (would-be) incident.

A group collects the tracks of every alerting thing that belongs to one outage. Alert sources
(Alertmanager, Grafana) are grouped by the configured scope labels (e.g. service + region), so
ten alerts about one region's fibre network make one incident; senders that already speak in
incidents (PagerDuty, Statuspage) are grouped by their own incident id.

``observe`` is idempotent and order-tolerant: a re-sent, retried or out-of-date signal leaves
the group as it was and reports itself as a duplicate.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from broadcaster.domain.incidents import Severity
from broadcaster.domain.signals import Outcome, Signal, SignalState, Source
from broadcaster.domain.timefmt import format_rfc3339, parse_rfc3339


@dataclass(frozen=True, slots=True)
class Track:
    """The current occurrence of one alerting thing (a source's fingerprint)."""

    source: Source
    fingerprint: str
    firing: bool
    since: datetime  # when the current occurrence started
    title: str
    labels: Mapping[str, str] = field(default_factory=dict)
    severity: Severity | None = None
    summary: str | None = None
    resolved_at: datetime | None = None
    # its incident was closed (by a commander) while it fired: this occurrence declares no more
    consumed: bool = False

    @property
    def key(self) -> str:
        return f"{self.source.value}/{self.fingerprint}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source.value,
            "fingerprint": self.fingerprint,
            "firing": self.firing,
            "since": format_rfc3339(self.since),
            "title": self.title,
            "labels": dict(self.labels),
            "severity": self.severity.value if self.severity else None,
            "summary": self.summary,
            "resolved_at": format_rfc3339(self.resolved_at),
            "consumed": self.consumed,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Track:
        return cls(
            source=Source(data["source"]),
            fingerprint=data["fingerprint"],
            firing=data["firing"],
            since=_time(data["since"]),
            title=data["title"],
            labels=dict(data["labels"]),
            severity=Severity(data["severity"]) if data["severity"] else None,
            summary=data["summary"],
            resolved_at=parse_rfc3339(data["resolved_at"]),
            consumed=data["consumed"],
        )


@dataclass(frozen=True, slots=True)
class Group:
    """The tracks of one outage and the incident they declared, if any."""

    key: str
    tracks: Mapping[str, Track] = field(default_factory=dict)
    incident_id: str | None = None
    # when we noticed the incident closed; a re-fire within the cooldown reopens it
    closed_at: datetime | None = None

    @property
    def live(self) -> list[Track]:
        """Tracks that fire and may still declare."""
        return [t for t in self.tracks.values() if t.firing and not t.consumed]

    @property
    def firing(self) -> bool:
        return any(t.firing for t in self.tracks.values())

    def attached(self, incident_id: str) -> Group:
        """The group now speaks for ``incident_id`` (a new incident replaces a closed one)."""
        return dataclasses.replace(self, incident_id=incident_id, closed_at=None)

    def closed(self, now: datetime) -> Group:
        """Its incident ended: what fires now was seen by whoever closed it."""
        tracks = {k: dataclasses.replace(t, consumed=t.firing) for k, t in self.tracks.items()}
        return dataclasses.replace(self, tracks=tracks, closed_at=now)

    def reopened(self) -> Group:
        tracks = {k: dataclasses.replace(t, consumed=False) for k, t in self.tracks.items()}
        return dataclasses.replace(self, tracks=tracks, closed_at=None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "tracks": [t.to_dict() for t in self.tracks.values()],
            "incident_id": self.incident_id,
            "closed_at": format_rfc3339(self.closed_at),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Group:
        tracks = [Track.from_dict(t) for t in data["tracks"]]
        return cls(
            key=data["key"],
            tracks={t.key: t for t in tracks},
            incident_id=data["incident_id"],
            closed_at=parse_rfc3339(data["closed_at"]),
        )


def group_key(signal: Signal, scope_labels: Sequence[str]) -> str:
    """Which group a signal joins: the sender's incident, else its scope labels, else itself."""
    if signal.group is not None:
        return f"{signal.source.value}:{signal.group}"
    scope = [f"{name}={signal.labels[name]}" for name in scope_labels if signal.labels.get(name)]
    if scope:
        return "scope:" + ",".join(scope)
    return f"{signal.source.value}:{signal.fingerprint}"


def observe(group: Group, signal: Signal, now: datetime) -> tuple[Group, Outcome]:
    """Fold one signal into its group; times from the sender are capped at ``now``."""
    key = f"{signal.source.value}/{signal.fingerprint}"
    current = group.tracks.get(key)
    if signal.state is SignalState.FIRING:
        track = _fire(current, signal, now)
    else:
        track = _resolve(current, signal, now)
    if track is None or track == current:
        return group, Outcome.DUPLICATE
    return dataclasses.replace(group, tracks={**group.tracks, key: track}), Outcome.NEW


def _fire(current: Track | None, signal: Signal, now: datetime) -> Track | None:
    fresh = _track(signal, min(signal.started_at, now))
    over = current is not None and (current.consumed or not current.firing)
    if current is None or (over and fresh.since > current.since):
        return fresh  # a new occurrence
    if not current.firing or fresh.since < current.since:
        return None  # that occurrence is over, or this one is older than what we know
    # the same occurrence, or one that goes on (we missed nothing that matters): keep its
    # start, take the newest description (a priority or a component status may change)
    return dataclasses.replace(
        current,
        title=fresh.title,
        labels=fresh.labels,
        severity=fresh.severity,
        summary=fresh.summary,
    )


def _resolve(current: Track | None, signal: Signal, now: datetime) -> Track | None:
    ended = min(signal.ended_at or now, now)
    if current is None:
        since = min(signal.started_at, ended)
        return dataclasses.replace(_track(signal, since), firing=False, resolved_at=ended)
    if not current.firing or ended < current.since:
        return None  # already over, or the end of an older occurrence
    return dataclasses.replace(current, firing=False, resolved_at=ended)


def _track(signal: Signal, since: datetime) -> Track:
    return Track(
        source=signal.source,
        fingerprint=signal.fingerprint,
        firing=True,
        since=since,
        title=signal.title,
        labels=dict(signal.labels),
        severity=signal.severity,
        summary=signal.summary,
    )


def _time(value: str) -> datetime:
    parsed = parse_rfc3339(value)
    assert parsed is not None
    return parsed
