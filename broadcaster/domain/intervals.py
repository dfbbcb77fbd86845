"""Confidence intervals for contact rates: closed forms, no statistics library.

Contact rates per group are binomial proportions (did a customer contact us during the
incident, yes or no), so each rate gets a Wilson score interval: it stays inside [0, 1] and
keeps close to its nominal coverage for the small rates and small holdouts we see, where the
textbook Wald interval collapses to zero width. Differences of two rates use Newcombe's hybrid
score interval (his method 10), built from the two Wilson intervals. Rates over customer-time
(the staggered-delivery comparison) are Poisson: a score interval for each rate and, for their
ratio, a log-scale interval, crude or Mantel-Haenszel across time strata (Greenland-Robins
variance). docs/deflection.md explains the choices and their limits.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

Z95 = 1.959963984540054  # two-sided 95 %


@dataclass(frozen=True, slots=True)
class Interval:
    """A point estimate with its confidence bounds (``low <= estimate <= high``)."""

    estimate: float
    low: float
    high: float

    def scaled(self, factor: float) -> Interval:
        """The same interval in other units (per 1,000, a count, a cost); ``factor >= 0``."""
        return Interval(self.estimate * factor, self.low * factor, self.high * factor)

    def contains(self, value: float) -> bool:
        return self.low <= value <= self.high


def rounded(
    interval: Interval | None, factor: float = 1.0, key: str = "estimate", digits: int = 2
) -> dict[str, Any] | None:
    """``{key: estimate, "ci": [low, high]}`` in the units of ``factor``, for people to read."""
    if interval is None:
        return None
    scaled = interval.scaled(factor)
    bounds = [round(scaled.low, digits), round(scaled.high, digits)]
    return {key: round(scaled.estimate, digits), "ci": bounds}


def wilson(successes: int, trials: int, z: float = Z95) -> Interval | None:
    """Wilson score interval of a binomial proportion; None when there are no trials."""
    if trials <= 0:
        return None
    p = successes / trials
    z2 = z * z
    denominator = 1 + z2 / trials
    centre = (p + z2 / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z2 / (4 * trials * trials)) / denominator
    # exact at the edges (0 of n, n of n), where rounding would put a bound past the estimate
    low = 0.0 if successes <= 0 else min(p, centre - half)
    high = 1.0 if successes >= trials else max(p, centre + half)
    return Interval(p, low, high)


def newcombe_difference(x1: int, n1: int, x2: int, n2: int, z: float = Z95) -> Interval | None:
    """``p1 - p2`` of two independent proportions, Newcombe's hybrid score interval."""
    first, second = wilson(x1, n1, z), wilson(x2, n2, z)
    if first is None or second is None:
        return None
    d = first.estimate - second.estimate
    low = d - math.hypot(first.estimate - first.low, second.high - second.estimate)
    high = d + math.hypot(first.high - first.estimate, second.estimate - second.low)
    return Interval(d, low, high)


def poisson_rate(events: int, exposure: float, z: float = Z95) -> Interval | None:
    """Events per unit of exposure, with the score interval of a Poisson mean."""
    if exposure <= 0:
        return None
    z2 = z * z
    half = z * math.sqrt(events + z2 / 4)
    low = max(0.0, events + z2 / 2 - half)
    return Interval(events / exposure, low / exposure, (events + z2 / 2 + half) / exposure)


@dataclass(frozen=True, slots=True)
class Stratum:
    """Events and exposure of the exposed (``a``, ``t1``) and unexposed (``b``, ``t0``)."""

    a: int
    t1: float
    b: int
    t0: float


def rate_ratio(strata: Sequence[Stratum], z: float = Z95) -> Interval | None:
    """Mantel-Haenszel rate ratio (exposed over unexposed) across ``strata``.

    One stratum gives the crude ratio. The interval is symmetric on the log scale with the
    Greenland-Robins variance; None when either side has no event or no exposure, where the
    ratio is undefined.
    """
    r = s = v = 0.0
    for k in strata:
        total = k.t1 + k.t0
        if total <= 0:
            continue
        r += k.a * k.t0 / total
        s += k.b * k.t1 / total
        v += k.t1 * k.t0 * (k.a + k.b) / (total * total)
    if r <= 0 or s <= 0:
        return None
    ratio = r / s
    spread = z * math.sqrt(v / (r * s))
    return Interval(ratio, ratio * math.exp(-spread), ratio * math.exp(spread))
