"""Deflection estimates, baselines, the natural experiment and the report object."""

from __future__ import annotations

from collections import Counter

import pytest

from broadcaster.domain import staggered, timeline
from broadcaster.domain.contacts import LoggedContact, WindowTally, tally
from broadcaster.domain.deflection import (
    Group,
    Method,
    baseline_group,
    baseline_windows,
    estimate,
    per_thousand,
)
from broadcaster.domain.deflection_report import Inputs, build
from broadcaster.domain.intervals import Stratum, rounded

MINUTE = 60_000
HOUR = 60 * MINUTE
T0 = 1_795_000_000_000  # an incident start, epoch ms


def test_holdout_wins_over_baseline_and_scales_by_the_notified_count():
    notified, holdout = Group(9000, 180, 200), Group(1000, 100, 130)
    result = estimate(notified, holdout, Group(40000, 40))
    assert result.method is Method.HOLDOUT
    assert result.counterfactual == holdout
    assert result.deflected is not None
    assert result.deflected.estimate == pytest.approx((0.10 - 0.02) * 9000)
    assert result.deflected.low < 720 < result.deflected.high


def test_without_holdout_the_baseline_stands_in_and_without_either_nothing_is_claimed():
    notified = Group(1000, 5)
    by_baseline = estimate(notified, Group(0, 0), Group(4000, 40))
    assert by_baseline.method is Method.BASELINE
    assert by_baseline.deflected is not None
    assert by_baseline.deflected.estimate == pytest.approx((0.01 - 0.005) * 1000)
    assert estimate(notified, Group(0, 0), None).method is Method.NONE
    assert estimate(notified, Group(0, 0), Group(0, 0)).deflected is None
    nobody_notified = estimate(Group(0, 0), Group(10, 1), None)
    assert nobody_notified.method is Method.HOLDOUT
    assert nobody_notified.deflected is None


def test_rates_and_amounts_are_rounded_for_people_and_none_stays_none():
    assert per_thousand(Group(1000, 20).rate()) == {"per_1000": 20.0, "ci": [12.98, 30.69]}
    assert per_thousand(None) is None
    assert rounded(None) is None
    assert rounded(Group(4, 1).rate(), 100) == {"estimate": 25.0, "ci": [4.56, 69.94]}


def test_baseline_windows_are_the_same_hours_earlier_and_only_where_the_log_reaches():
    week = 7 * 24 * HOUR
    windows = baseline_windows(T0, T0 + HOUR, week, 3, since_ms=T0 - 2 * week - 1)
    assert windows == [(T0 - week, T0 + HOUR - week), (T0 - 2 * week, T0 + HOUR - 2 * week)]
    assert baseline_windows(T0, T0 + HOUR, week, 3, since_ms=None) == []
    long = baseline_windows(T0, T0 + 10 * 24 * HOUR, week, 2, since_ms=0)
    assert long == [(T0 - 2 * week, T0 + 10 * 24 * HOUR - 2 * week)], "not its own past"


def test_baseline_counts_each_customer_once_per_window():
    week = 7 * 24 * HOUR
    windows = [(T0 - week, T0 - week + HOUR), (T0 - 2 * week, T0 - 2 * week + HOUR)]
    entries = [
        LoggedContact(1, T0 - week + 5, "voice", ""),
        LoggedContact(1, T0 - week + 9, "whatsapp", ""),  # same customer, same window
        LoggedContact(1, T0 - 2 * week + 5, "voice", ""),  # same customer, other window
        LoggedContact(2, T0 - week - 1, "voice", ""),  # just outside
        LoggedContact(9, T0 - week + 5, "voice", ""),  # not in the population
    ]
    group = baseline_group(entries, windows, {1, 2, 3})
    assert group == Group(customers=6, contacting=2, contacts=3)
    assert baseline_group(entries, [], {1}) is None
    assert baseline_group(entries, windows, set()) is None


def test_timeline_edges_and_cumulative_shares():
    assert timeline.edges(0, 100, 5) == [0, 25, 50, 75, 100]
    assert timeline.edges(10, 10, 1) == [10, 11], "at least two points, never a zero span"
    assert timeline.cumulative_share([30, 10, 80], 4, [0, 10, 50, 100]) == [0, 0.25, 0.5, 0.75]
    assert timeline.cumulative_share([1], 0, [0, 5]) == [0.0, 0.0]


def test_strata_split_each_customers_time_at_delivery_and_stop_at_first_contact():
    at = [0, 100, 200]
    exposures = [
        staggered.Exposure(delivered_ms=50, contacted_ms=150),  # informed contact, slice 1
        staggered.Exposure(delivered_ms=120, contacted_ms=40),  # contacted before delivery
        staggered.Exposure(delivered_ms=None, contacted_ms=None),  # never reached, never wrote
        staggered.Exposure(delivered_ms=-5, contacted_ms=300),  # delivered at start, wrote later
        staggered.Exposure(delivered_ms=70, contacted_ms=70),  # same instant: uninformed
        staggered.Exposure(delivered_ms=10, contacted_ms=200),  # contact at the very end
    ]
    first, second = staggered.strata(exposures, at)
    assert (first.a, first.b) == (0, 2)
    assert (second.a, second.b) == (2, 0)
    # uninformed time per customer in slice 0: 50, 40, 100, 0, 70, 10
    assert first.t0 == 50 + 40 + 100 + 0 + 70 + 10
    assert second.t0 == 100
    assert first.t1 == 50 + 100 + 90
    assert second.t1 == 50 + 100 + 100


def test_summary_reports_rates_per_customer_hour_and_both_ratios():
    slices = [Stratum(2, 2 * HOUR, 10, 10 * HOUR), Stratum(6, 6 * HOUR, 3, 3 * HOUR)]
    summary = staggered.summarize(slices)
    assert summary["before_delivery"]["customer_hours"] == 13.0
    assert summary["before_delivery"]["per_1000_customer_hours"] == 1000.0
    assert summary["after_delivery"]["contacting"] == 8
    assert summary["rate_ratio"]["estimate"] == 1.0
    assert summary["rate_ratio_time_adjusted"]["estimate"] == 1.0
    empty = staggered.summarize([Stratum(0, 0.0, 0, 0.0)])
    assert empty["after_delivery"]["per_1000_customer_hours"] is None
    assert empty["rate_ratio"] is None


def test_window_tally_keeps_the_first_contact_and_counts_the_population_only():
    entries = [
        LoggedContact(1, T0 + 50, "whatsapp", ""),
        LoggedContact(1, T0 + 10, "voice", "billing"),
        LoggedContact(2, T0 + 20, "voice", "outage"),
        LoggedContact(2, T0 + 30, "chat", ""),  # a second contact keeps the first time
        LoggedContact(3, T0 + 20, "voice", "outage"),  # not in the population
        LoggedContact(2, T0 - 1, "voice", ""),  # before the window
    ]
    window = tally(iter(entries), T0, T0 + HOUR, {1, 2})
    assert window.first == {1: T0 + 10, 2: T0 + 20}
    assert window.events == Counter({1: 2, 2: 2})
    assert window.by_channel == Counter({"voice": 2, "whatsapp": 1, "chat": 1})
    assert window.by_topic == Counter({"billing": 1, "outage": 1})
    assert window.contacting({2, 7}) == 1
    assert window.contacts({1}) == 2


def report_inputs(**overrides) -> Inputs:
    notified = set(range(1, 91))
    holdout = set(range(91, 101))
    window = WindowTally(
        first={1: T0 + 10 * MINUTE, 2: T0 + 50 * MINUTE, 91: T0 + 5 * MINUTE},
        events=Counter({1: 1, 2: 3, 91: 1}),
        by_channel=Counter({"whatsapp": 4, "voice": 1}),
        by_topic=Counter({"outage": 1}),
    )
    values = {
        "start_ms": T0,
        "end_ms": T0 + HOUR,
        "notified": notified,
        "holdout": holdout,
        "delivered": {o: T0 + o * 20_000 for o in notified},
        "contacts": window,
        "baseline": Group(200, 1, 1),
        "baseline_windows": [(T0 - 7 * 24 * HOUR, T0 - 7 * 24 * HOUR + HOUR)],
        "answered": 3,
        "cost_per_contact": 50_000.0,
        "currency": "IDR",
        "points": 7,
    }
    values.update(overrides)
    return Inputs(**values)  # type: ignore[arg-type]


def test_report_object_with_holdout():
    report = build(report_inputs())
    assert report["method"] == "holdout"
    assert report["window"] == {"from": "2026-11-18T11:06:40Z", "to": "2026-11-18T12:06:40Z"}
    assert report["notified"]["contacting"] == 2
    assert report["notified"]["contacts"] == 4
    assert report["holdout"]["per_1000"] == 100.0
    expected = (1 / 10 - 2 / 90) * 90
    assert report["deflected"]["estimate"] == round(expected, 2)
    assert report["cost_saved"]["estimate"] == round(expected * 50_000, 2)
    assert report["cost_saved"]["currency"] == "IDR"
    assert report["baseline"]["windows"][0]["from"] == "2026-11-11T11:06:40Z"
    assert report["contacts"] == {
        "total": 5,
        "by_channel": {"voice": 1, "whatsapp": 4},
        "by_topic": {"outage": 1},
    }
    assert report["answered_automatically"] == 3
    series = report["timeline"]
    assert len(series["at"]) == 7
    assert series["holdout_per_1000"][-1] == 100.0
    assert series["notified_per_1000"][-1] == round(2 / 90 * 1000, 2)
    assert series["delivered_share"][0] == 0.0
    assert series["delivered_share"][-1] == 1.0
    timing = report["delivery_timing"]
    # customer 1 was reached at +20 s and wrote at +10 min; customer 2 reached at +40 s
    assert timing["after_delivery"]["contacting"] == 2
    assert timing["before_delivery"]["contacting"] == 0


def test_report_object_without_holdout_or_cost():
    report = build(report_inputs(holdout=set(), cost_per_contact=0.0))
    assert report["method"] == "baseline"
    assert "weaker" in report["label"]
    assert report["holdout"]["per_1000"] is None
    assert report["cost_saved"] is None
    bare = build(report_inputs(holdout=set(), baseline=None))
    assert bare["method"] == "none"
    assert bare["deflected"] is None
    assert bare["baseline"] is None
