"""The report's ``deflection`` object, assembled from one incident's groups and contacts.

Pure: the service reads the audience lists, delivery times and contact log from Redis and
hands them over; everything computed from them is here. docs/deflection.md describes every
field.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from broadcaster.domain import staggered, timeline
from broadcaster.domain.contacts import WindowTally
from broadcaster.domain.deflection import (
    PER,
    Group,
    Method,
    estimate,
    group_view,
    per_thousand,
)
from broadcaster.domain.intervals import Z95, rounded
from broadcaster.domain.timefmt import format_rfc3339

LABELS = {
    Method.HOLDOUT: "randomised holdout: causal estimate",
    Method.BASELINE: (
        "baseline, no holdout: the same customers' normal contact rate stands in for the "
        "unnotified; weaker, and low if the outage alone raises contacts"
    ),
    Method.NONE: "no holdout and no baseline covered by the contact log: no estimate",
}
INTERVALS = (
    "95%: Wilson score per rate, Newcombe hybrid score for the difference (scaled by the "
    "notified count), Poisson score per customer-hour rate, log-scale for rate ratios"
)


@dataclass(frozen=True, slots=True)
class Inputs:
    start_ms: int
    end_ms: int
    notified: Collection[int]
    holdout: Collection[int]
    delivered: Mapping[int, int]  # notified ordinal -> epoch ms of delivery
    contacts: WindowTally  # of notified and holdout customers, within the window
    baseline: Group | None
    baseline_windows: Sequence[tuple[int, int]]
    answered: int  # contacts answered automatically
    cost_per_contact: float
    currency: str
    points: int


def _iso(ms: int) -> str | None:
    return format_rfc3339(datetime.fromtimestamp(ms / 1000, UTC))


def build(i: Inputs, z: float = Z95) -> dict[str, Any]:
    notified = Group(
        len(i.notified), i.contacts.contacting(i.notified), i.contacts.contacts(i.notified)
    )
    holdout = Group(
        len(i.holdout), i.contacts.contacting(i.holdout), i.contacts.contacts(i.holdout)
    )
    result = estimate(notified, holdout, i.baseline, z)
    cost = None
    if result.deflected is not None and i.cost_per_contact > 0:
        cost = {
            **(rounded(result.deflected, i.cost_per_contact) or {}),
            "currency": i.currency,
            "cost_per_contact": i.cost_per_contact,
        }
    difference = per_thousand(result.difference)
    at = timeline.edges(i.start_ms, i.end_ms, i.points)
    return {
        "method": result.method.value,
        "label": LABELS[result.method],
        "intervals": INTERVALS,
        "window": {"from": _iso(i.start_ms), "to": _iso(i.end_ms)},
        "notified": group_view(notified, z),
        "holdout": group_view(holdout, z),
        "baseline": _baseline(i, z),
        "difference": difference,
        "deflected": rounded(result.deflected),
        "cost_saved": cost,
        "answered_automatically": i.answered,
        "contacts": {
            "total": sum(i.contacts.events.values()),
            "by_channel": dict(sorted(i.contacts.by_channel.items())),
            "by_topic": dict(i.contacts.by_topic.most_common(20)),
        },
        "delivery_timing": staggered.summarize(_strata(i, at), z),
        "timeline": _timeline(i, at),
    }


def _baseline(i: Inputs, z: float) -> dict[str, Any] | None:
    if i.baseline is None:
        return None
    windows = [{"from": _iso(s), "to": _iso(e)} for s, e in i.baseline_windows]
    return {**group_view(i.baseline, z), "windows": windows}


def _strata(i: Inputs, at: Sequence[int]) -> list[Any]:
    exposures = (
        staggered.Exposure(i.delivered.get(ordinal), i.contacts.first.get(ordinal))
        for ordinal in i.notified
    )
    return staggered.strata(exposures, at)


def _timeline(i: Inputs, at: Sequence[int]) -> dict[str, list[Any]]:
    def per_1000(members: Collection[int]) -> list[float]:
        times = (t for o, t in i.contacts.first.items() if o in members)
        return [round(s * PER, 2) for s in timeline.cumulative_share(times, len(members), at)]

    delivered = timeline.cumulative_share(i.delivered.values(), len(i.notified), at)
    return {
        "at": [_iso(t) for t in at],
        "notified_per_1000": per_1000(i.notified),
        "holdout_per_1000": per_1000(i.holdout),
        "delivered_share": [round(s, 4) for s in delivered],
    }
