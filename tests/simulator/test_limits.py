"""Throughput cap, pair rate and service window, driven with explicit times."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from broadcaster.simulator.faults import Faults, update_faults
from broadcaster.simulator.limits import (
    PairLimiter,
    ServiceWindows,
    ThroughputLimiter,
    max_in_window,
)


def test_throughput_cap_is_a_sliding_window():
    limiter = ThroughputLimiter()
    for t in (0.0, 0.1, 0.2):
        assert limiter.has_room("n", t, cap=3)
        limiter.add("n", t)
    assert not limiter.has_room("n", 0.9, cap=3)
    assert not limiter.has_room("n", 0.99, cap=3)
    assert limiter.has_room("n", 1.0, cap=3)  # the event at 0.0 left the window (0.0, 1.0]
    assert limiter.has_room("other", 0.5, cap=3)
    assert limiter.has_room("n", 0.5, cap=0)  # 0 = uncapped


@given(
    st.lists(st.floats(min_value=0, max_value=5, allow_nan=False), max_size=200), st.integers(1, 6)
)
def test_cap_holds_in_every_window(offers: list[float], cap: int):
    limiter = ThroughputLimiter()
    accepted = []
    for t in sorted(offers):
        if limiter.has_room("n", t, cap):
            limiter.add("n", t)
            accepted.append(t)
    assert max_in_window(accepted, 1.0) <= cap


def test_max_in_window_counts_half_open_windows():
    assert max_in_window([], 1.0) == 0
    assert max_in_window([0.0, 0.5, 0.99, 1.0, 1.2], 1.0) == 4
    assert max_in_window([0.0, 1.0, 2.0], 1.0) == 1


def test_pair_limit_allows_a_burst_then_one_per_interval():
    pairs = PairLimiter()
    key = ("n", "62812")
    for _ in range(2):
        assert pairs.allows(key, 0.0, interval_s=6.0, burst=2)
        pairs.take(key, 0.0, interval_s=6.0, burst=2)
    assert not pairs.allows(key, 5.9, interval_s=6.0, burst=2)
    assert pairs.allows(key, 6.0, interval_s=6.0, burst=2)
    assert pairs.allows(("n", "62899"), 0.0, interval_s=6.0, burst=2)
    assert pairs.allows(key, 0.0, interval_s=0.0, burst=1)  # disabled


def test_service_window_opens_for_its_length():
    windows = ServiceWindows()
    assert not windows.is_open("n", "62812", 0.0)
    windows.open("n", "62812", 10.0, length_s=86400.0)
    assert windows.is_open("n", "62812", 10.0 + 86399.0)
    assert not windows.is_open("n", "62812", 10.0 + 86400.0)
    assert not windows.is_open("other", "62812", 11.0)


def test_fault_updates_are_typed_and_all_or_nothing():
    faults = Faults()
    update_faults(faults, {"drop_ratio": 1, "webhook_reorder": False, "throttle_burst": 3})
    assert (faults.drop_ratio, faults.webhook_reorder, faults.throttle_burst) == (1.0, False, 3)
    for bad in (
        {"drop_ratio": 1.5},
        {"drop_ratio": "x"},
        {"throttle_burst": True},
        {"bogus": 1},
        {"slow_ratio": 0.5, "slow_delay_s": -1},
    ):
        with pytest.raises(ValueError, match=list(bad)[-1]):
            update_faults(faults, bad)
    assert faults == Faults(drop_ratio=1.0, webhook_reorder=False, throttle_burst=3)
