"""Deflection: contacts the broadcast prevented, estimated from contact rates per group.

The unit is the customer: a group's rate is the share of its customers who contacted us at
least once in the incident's window (several messages from one customer are one contact).
With a holdout the estimate is causal: both groups were drawn at random from the same
audience, so ``(holdout rate - notified rate) x notified`` is what notifying saved.
Without one, the counterfactual is the same customers' rate in earlier, comparable windows
(the baseline): labelled ``baseline`` and weaker, since it assumes the outage alone would
not have raised contacts above the normal level (so it errs low). docs/deflection.md.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from broadcaster.domain.contacts import LoggedContact
from broadcaster.domain.intervals import Z95, Interval, newcombe_difference, rounded, wilson

PER = 1000  # rates are per 1,000 customers


class Method(StrEnum):
    HOLDOUT = "holdout"
    BASELINE = "baseline"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class Group:
    """``contacting`` of ``customers`` contacted us (``contacts`` counts every event)."""

    customers: int
    contacting: int
    contacts: int = 0

    def rate(self, z: float = Z95) -> Interval | None:
        return wilson(self.contacting, self.customers, z)


@dataclass(frozen=True, slots=True)
class Estimate:
    method: Method
    counterfactual: Group | None  # what the notified would have done unnotified
    difference: Interval | None  # counterfactual rate minus notified rate (a proportion)
    deflected: Interval | None  # contacts that did not happen


def estimate(notified: Group, holdout: Group, baseline: Group | None, z: float = Z95) -> Estimate:
    """Deflected contacts by the strongest method the data allows."""
    if holdout.customers > 0:
        method, counterfactual = Method.HOLDOUT, holdout
    elif baseline is not None and baseline.customers > 0:
        method, counterfactual = Method.BASELINE, baseline
    else:
        return Estimate(Method.NONE, None, None, None)
    difference = newcombe_difference(
        counterfactual.contacting,
        counterfactual.customers,
        notified.contacting,
        notified.customers,
        z,
    )
    deflected = difference.scaled(notified.customers) if difference is not None else None
    return Estimate(method, counterfactual, difference, deflected)


def per_thousand(interval: Interval | None) -> dict[str, Any] | None:
    """A proportion as ``{"per_1000", "ci": [low, high]}``."""
    return rounded(interval, PER, "per_1000")


def group_view(group: Group, z: float = Z95) -> dict[str, Any]:
    rate = per_thousand(group.rate(z)) or {"per_1000": None, "ci": None}
    return {
        "customers": group.customers,
        "contacting": group.contacting,
        "contacts": group.contacts,
        **rate,
    }


def baseline_windows(
    start_ms: int, end_ms: int, offset_ms: int, periods: int, since_ms: int | None
) -> list[tuple[int, int]]:
    """The incident's window moved back by 1..``periods`` offsets (the same hours a week
    earlier, two weeks earlier...), keeping those the contact log fully covers and that end
    before the incident began (an incident longer than the offset overlaps its own past)."""
    if since_ms is None:
        return []
    windows = [(start_ms - k * offset_ms, end_ms - k * offset_ms) for k in range(1, periods + 1)]
    return [(s, e) for s, e in windows if s >= since_ms and e <= start_ms]


def baseline_group(
    entries: Iterable[LoggedContact],
    windows: Sequence[tuple[int, int]],
    population: Collection[int],
) -> Group | None:
    """The population's contacting share over the baseline windows, each window one trial
    per customer (customer-periods), so the rate is comparable with the incident's."""
    if not windows or not population:
        return None
    seen: set[tuple[int, int]] = set()
    contacts = 0
    for entry in entries:
        if entry.ordinal not in population:
            continue
        for k, (s, e) in enumerate(windows):
            if s <= entry.at_ms <= e:
                seen.add((k, entry.ordinal))
                contacts += 1
    return Group(len(population) * len(windows), len(seen), contacts)
