"""Signals: what every intake source is normalised into before correlation.

A signal is one observation of one alerting thing (an Alertmanager series, a PagerDuty
incident, a Statuspage incident) being firing or resolved. ``fingerprint`` names the thing
across re-sends; ``started_at`` names the occurrence (a re-fire is a new occurrence of the
same fingerprint). A ``Delivery`` is one webhook body or one poll, with the key that makes a
re-sent delivery recognisable.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from broadcaster.domain.incidents import Severity
from broadcaster.domain.timefmt import format_rfc3339


class Source(StrEnum):
    ALERTMANAGER = "alertmanager"
    GRAFANA = "grafana"
    PAGERDUTY = "pagerduty"
    STATUSPAGE = "statuspage"


class SignalState(StrEnum):
    FIRING = "firing"
    RESOLVED = "resolved"


class Outcome(StrEnum):
    """What a signal did; the ``outcome`` label of ``broadcaster_signals_total``."""

    NEW = "new"  # it changed what we know
    DUPLICATE = "duplicate"  # a re-send, a retry, a peer's copy, or older than what we know
    IGNORED = "ignored"  # read, but not an outage signal (ping, no-data alert, a note)
    REJECTED = "rejected"  # refused: bad credentials, bad signature, malformed body


@dataclass(frozen=True, slots=True)
class Signal:
    source: Source
    fingerprint: str
    state: SignalState
    title: str
    started_at: datetime
    labels: Mapping[str, str] = field(default_factory=dict)
    # None: the policy reads it from the labels (alert sources carry a severity label)
    severity: Severity | None = None
    summary: str | None = None
    ended_at: datetime | None = None
    # the sender's own incident id: correlate by it rather than by labels
    group: str | None = None
    # the sender's object as received, kept (bounded) to explain the incident later
    raw: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source.value,
            "fingerprint": self.fingerprint,
            "state": self.state.value,
            "title": self.title,
            "started_at": format_rfc3339(self.started_at),
            "ended_at": format_rfc3339(self.ended_at),
            "labels": dict(self.labels),
            "severity": self.severity.value if self.severity else None,
            "summary": self.summary,
        }


@dataclass(frozen=True, slots=True)
class Delivery:
    """One webhook body (or one poll) read into signals."""

    source: Source
    key: str  # equal for re-sent copies of the same delivery
    signals: tuple[Signal, ...] = ()
    ignored: int = 0  # items read that are not outage signals
    truncated: int = 0  # alerts the sender left out (Alertmanager ``max_alerts``)


def digest(*parts: Any) -> str:
    """A short stable hash of JSON-able parts, for dedup keys built from payload fields."""
    text = json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]
