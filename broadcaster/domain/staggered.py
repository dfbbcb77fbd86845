"""Before versus after each customer's own delivery: the staggered send as a natural experiment.

A broadcast reaches its audience over minutes, in tier order. Every notified customer spends
some of the incident uninformed (until their notice is delivered) and the rest informed, so
we compare the rate of first contacts per customer-hour at risk in the two states. A customer
stops being at risk at their first contact. The crude ratio mixes in the time trend (people
notice an outage progressively, and the informed are the ones reached later in the incident),
so the same comparison is also made within time slices and pooled (Mantel-Haenszel).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from broadcaster.domain.intervals import Z95, Stratum, poisson_rate, rate_ratio, rounded

HOUR_MS = 3_600_000
PER = 1000  # rates per 1,000 customer-hours


@dataclass(frozen=True, slots=True)
class Exposure:
    """One notified customer: notice delivered, first contact (epoch ms, None if never)."""

    delivered_ms: int | None
    contacted_ms: int | None


def strata(exposures: Iterable[Exposure], at: Sequence[int]) -> list[Stratum]:
    """Per slice between consecutive instants of ``at``: informed events and time (``a``,
    ``t1``), uninformed events and time (``b``, ``t0``), times in milliseconds.

    A contact at the very second of delivery counts as uninformed: the customer had hardly
    had time to read the notice.
    """
    start, end = at[0], at[-1]
    informed: list[tuple[int, int]] = []
    uninformed: list[tuple[int, int]] = []
    a = [0] * (len(at) - 1)
    b = [0] * (len(at) - 1)
    for e in exposures:
        contact = e.contacted_ms
        if contact is not None and not start <= contact <= end:
            contact = None
        stop = end if contact is None else contact
        delivered = None if e.delivered_ms is None else max(start, e.delivered_ms)
        switch = stop if delivered is None or delivered >= stop else delivered
        uninformed += [(start, 1), (switch, -1)]
        if switch < stop:
            informed += [(switch, 1), (stop, -1)]
        if contact is not None:
            k = min(bisect.bisect_right(at, contact) - 1, len(a) - 1)
            if switch < stop:
                a[k] += 1
            else:
                b[k] += 1
    t1 = _person_time(informed, at)
    t0 = _person_time(uninformed, at)
    return [Stratum(a[k], t1[k], b[k], t0[k]) for k in range(len(a))]


def _person_time(changes: list[tuple[int, int]], at: Sequence[int]) -> list[float]:
    """Integral of a step count (changes ``(time, +1|-1)``) over each slice of ``at``."""
    changes.sort()
    totals = [0.0] * (len(at) - 1)
    level = i = 0
    for k in range(len(totals)):
        t, high = at[k], at[k + 1]
        while i < len(changes) and changes[i][0] <= t:
            level += changes[i][1]
            i += 1
        while i < len(changes) and changes[i][0] < high:
            time, delta = changes[i]
            totals[k] += level * (time - t)
            t = time
            level += delta
            i += 1
        totals[k] += level * (high - t)
    return totals


def _state(events: int, ms: float, z: float) -> dict[str, Any]:
    rate = rounded(poisson_rate(events, ms / HOUR_MS, z), PER, "per_1000_customer_hours")
    return {
        "customer_hours": round(ms / HOUR_MS, 2),
        "contacting": events,
        **(rate or {"per_1000_customer_hours": None, "ci": None}),
    }


def summarize(slices: Sequence[Stratum], z: float = Z95) -> dict[str, Any]:
    """Rates before and after delivery, their crude ratio and the time-adjusted one."""
    total = Stratum(
        sum(s.a for s in slices),
        sum(s.t1 for s in slices),
        sum(s.b for s in slices),
        sum(s.t0 for s in slices),
    )
    return {
        "before_delivery": _state(total.b, total.t0, z),
        "after_delivery": _state(total.a, total.t1, z),
        "rate_ratio": rounded(rate_ratio([total], z), digits=3),
        "rate_ratio_time_adjusted": rounded(rate_ratio(slices, z), digits=3),
    }
