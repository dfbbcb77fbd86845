"""Policy: what a signal may do on its own, and which customers an alert's labels concern.

Per source and severity a signal either declares a customer-facing incident by itself
(``auto``) or opens a ``pending`` one that waits for a commander (``confirm``). An incident
whose labels map to no segment always waits: nobody can be told without a segment. The
``[policy]`` table of config.toml is this dataclass (config.py builds and validates it).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from broadcaster.domain.incidents import Severity
from broadcaster.domain.signals import Source

Decision = Literal["auto", "confirm"]
SeverityName = Literal["minor", "major", "critical"]
RANK = {Severity.MINOR: 0, Severity.MAJOR: 1, Severity.CRITICAL: 2}


def _decisions() -> dict[str, dict[str, Decision]]:
    return {
        "alertmanager": {"critical": "auto"},
        "grafana": {"critical": "auto"},
        "pagerduty": {"critical": "auto"},
        "statuspage": {"major": "auto", "critical": "auto"},
    }


def _severities() -> dict[str, SeverityName]:
    return {
        "critical": "critical",
        "page": "critical",
        "major": "major",
        "error": "major",
        "high": "major",
        "warning": "minor",
        "minor": "minor",
        "info": "minor",
        "low": "minor",
    }


@dataclass(frozen=True)
class SegmentRule:
    """Labels -> segments: every ``match`` key must hold (a list means any of its values)."""

    segments: list[str] = field(default_factory=list)
    match: dict[str, Any] = field(default_factory=dict)

    def matches(self, labels: Mapping[str, str]) -> bool:
        return all(labels.get(name) in _values(want) for name, want in self.match.items())

    def problems(self) -> list[tuple[str, str]]:
        out = []
        if not self.segments:
            out.append(("segments", "name at least one segment"))
        for name, want in self.match.items():
            if not _values(want):
                out.append((f"match.{name}", "expected a string or a list of strings"))
        return out


def _rules() -> list[SegmentRule]:
    return [
        SegmentRule(segments=["fiber"], match={"service": ["fiber"]}),
        SegmentRule(segments=["mobile-data"], match={"service": ["mobile", "mobile-data"]}),
    ]


@dataclass(frozen=True)
class Policy:
    # what a signal does when nothing in ``decisions`` names its source and severity
    default: Decision = "confirm"
    # source -> severity -> decision
    decisions: dict[str, dict[str, Decision]] = field(default_factory=_decisions)
    # the alert label holding severity, and its values -> our severities
    severity_label: str = "severity"
    severities: dict[str, SeverityName] = field(default_factory=_severities)
    default_severity: SeverityName = "major"
    segments: list[SegmentRule] = field(default_factory=_rules)

    def problems(self) -> list[tuple[str, str]]:
        known = {s.value for s in Source}
        out = [
            (f"decisions.{source}", f"unknown source (expected one of {', '.join(sorted(known))})")
            for source in self.decisions
            if source not in known
        ]
        levels = {s.value for s in Severity}
        for source, table in self.decisions.items():
            out += [
                (f"decisions.{source}.{name}", "unknown severity (minor, major, critical)")
                for name in table
                if name not in levels
            ]
        return out

    def severity(self, severity: Severity | None, labels: Mapping[str, str]) -> Severity:
        """The sender's own severity, else the one its severity label maps to."""
        if severity is not None:
            return severity
        value = labels.get(self.severity_label, "").lower()
        return Severity(self.severities.get(value, self.default_severity))

    def decision(self, source: Source, severity: Severity) -> Decision:
        return self.decisions.get(source.value, {}).get(severity.value, self.default)

    def segments_for(self, labels: Iterable[Mapping[str, str]]) -> tuple[str, ...]:
        """Every segment some rule maps any of these label sets to, in rule order."""
        label_sets = list(labels)
        names: dict[str, None] = {}
        for rule in self.segments:
            if any(rule.matches(one) for one in label_sets):
                names.update(dict.fromkeys(rule.segments))
        return tuple(names)


def _values(want: Any) -> tuple[str, ...]:
    if isinstance(want, str):
        return (want,)
    if isinstance(want, list) and want and all(isinstance(v, str) for v in want):
        return tuple(want)
    return ()
