"""Confidence intervals: published reference values and their coverage by simulation."""

from __future__ import annotations

import bisect
import math
import random

import pytest

from broadcaster.domain.deflection import Group, estimate
from broadcaster.domain.intervals import (
    Interval,
    Stratum,
    newcombe_difference,
    poisson_rate,
    rate_ratio,
    wilson,
)


def close(interval: Interval | None, low: float, high: float, digits: int = 4) -> bool:
    assert interval is not None
    return round(interval.low, digits) == low and round(interval.high, digits) == high


def test_wilson_matches_reference_values_and_stays_within_0_1():
    assert close(wilson(81, 263), 0.2553, 0.3662)
    zero = wilson(0, 10)
    assert zero is not None
    assert zero.low == 0.0
    assert zero.high == pytest.approx(3.8415 / 13.8415, abs=1e-4), "z^2 / (n + z^2)"
    everyone = wilson(10, 10)
    assert everyone is not None
    assert everyone.high == 1.0
    assert wilson(0, 0) is None


def test_newcombe_hybrid_score_matches_newcombe_1998_table_ii():
    """Method 10 of Newcombe (Stat Med 1998;17:873-890), examples (a) and (b)."""
    assert close(newcombe_difference(56, 70, 48, 80), 0.0524, 0.3339)
    assert close(newcombe_difference(9, 10, 3, 10), 0.1705, 0.8090)
    assert newcombe_difference(1, 0, 3, 10) is None


def test_poisson_score_interval_and_rate_units():
    ten = poisson_rate(10, 1.0)
    assert close(ten, 5.4320, 18.4095)
    per_hour = poisson_rate(10, 2.0)
    assert per_hour is not None
    assert per_hour.estimate == 5.0
    nothing = poisson_rate(0, 4.0)
    assert nothing is not None
    assert nothing.low == 0.0
    assert nothing.high > 0, "no event still leaves an upper bound"
    assert poisson_rate(3, 0.0) is None


def test_rate_ratio_crude_and_mantel_haenszel():
    crude = rate_ratio([Stratum(20, 100.0, 10, 100.0)])
    assert crude is not None
    assert crude.estimate == pytest.approx(2.0)
    spread = 1.959963984540054 * math.sqrt(1 / 20 + 1 / 10)
    assert crude.high == pytest.approx(2 * math.exp(spread))
    # Within each slice exposure changes nothing, but the exposed time sits in the busy slice:
    # the crude ratio is confounded, the stratified one is not.
    quiet, busy = Stratum(1, 10.0, 9, 90.0), Stratum(90, 90.0, 10, 10.0)
    pooled = Stratum(91, 100.0, 19, 100.0)
    assert rate_ratio([pooled]).estimate > 4  # type: ignore[union-attr]
    adjusted = rate_ratio([quiet, busy, Stratum(0, 0.0, 0, 0.0)])
    assert adjusted is not None
    assert adjusted.estimate == pytest.approx(1.0)
    assert adjusted.contains(1.0)
    assert rate_ratio([Stratum(0, 10.0, 5, 10.0)]) is None
    assert rate_ratio([]) is None


def binomial_sampler(n: int, p: float, rng: random.Random):
    """Exact binomial draws by inverting the CDF (Python 3.11 has no binomialvariate)."""
    cdf, total = [], 0.0
    for k in range(n + 1):
        log_pmf = (
            math.lgamma(n + 1)
            - math.lgamma(k + 1)
            - math.lgamma(n - k + 1)
            + k * math.log(p)
            + (n - k) * math.log1p(-p)
        )
        total += math.exp(log_pmf)
        cdf.append(total)
    return lambda: min(n, bisect.bisect_left(cdf, rng.random() * total))


def test_the_deflection_interval_covers_the_true_value_about_95_percent_of_the_time():
    """The issue's scenario, 4,000 times: 9,000 notified at 2 %, 1,000 held out at 10 %."""
    rng = random.Random(20261124)
    notified_n, holdout_n = 9000, 1000
    draw_notified = binomial_sampler(notified_n, 0.02, rng)
    draw_holdout = binomial_sampler(holdout_n, 0.10, rng)
    truth = (0.10 - 0.02) * notified_n
    runs = 4000
    covered = 0
    for _ in range(runs):
        result = estimate(
            Group(notified_n, draw_notified()), Group(holdout_n, draw_holdout()), None
        )
        assert result.deflected is not None
        covered += result.deflected.contains(truth)
    # 95 % nominal; +-1 % is about three standard errors of the simulated share
    assert 0.94 <= covered / runs <= 0.965
