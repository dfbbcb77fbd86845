"""Meta's error table as one classification."""

from __future__ import annotations

from datetime import timedelta

import pytest

from broadcaster.domain.send_errors import (
    Action,
    backoff,
    classify,
    classify_async,
    classify_transport,
    number_wait,
    pair_backoff,
)


@pytest.mark.parametrize(
    ("code", "status", "action"),
    [
        (190, 401, Action.PAUSE_ACCOUNT),
        (0, 401, Action.PAUSE_ACCOUNT),
        (250, 403, Action.PAUSE_ACCOUNT),
        (133010, 400, Action.PAUSE_ACCOUNT),
        (4, 400, Action.PAUSE_NUMBER),
        (80007, 429, Action.PAUSE_NUMBER),
        (131048, 400, Action.PAUSE_NUMBER),
        (132001, 404, Action.PAUSE_BROADCAST),
        (132000, 400, Action.PAUSE_BROADCAST),
        (132015, 400, Action.PAUSE_BROADCAST),
        (131056, 400, Action.RESCHEDULE),
        (131026, 400, Action.FAIL),
        (131009, 400, Action.FAIL),
        (132018, 400, Action.FAIL),
        (130429, 400, Action.RETRY),
        (130429, 429, Action.RETRY),
        (131016, 503, Action.UNKNOWN),
        (131000, 500, Action.UNKNOWN),
        (0, 502, Action.UNKNOWN),
        (None, 502, Action.UNKNOWN),
        (None, 401, Action.PAUSE_ACCOUNT),
        (None, 429, Action.RETRY),
        (None, 404, Action.FAIL),
        (999999, 400, Action.FAIL),
    ],
)
def test_sync_errors(code, status, action):
    assert classify(code, status).action is action


def test_throttling_and_pair_limit_carry_a_backoff():
    assert classify(131056, 400).backoff == timedelta(seconds=6)
    assert classify(4, 400).backoff == timedelta(seconds=60)
    assert classify(130429, 400).reason == "throughput"


def test_transport_failures():
    assert classify_transport(written=False).action is Action.RETRY
    assert classify_transport(written=True).action is Action.UNKNOWN


@pytest.mark.parametrize(
    ("code", "action"),
    [
        (130429, Action.RETRY),
        (131048, Action.PAUSE_NUMBER),
        (131042, Action.PAUSE_ACCOUNT),
        (131026, Action.FAIL),
        (131050, Action.FAIL),
        (123456, Action.FAIL),
    ],
)
def test_async_failures(code, action):
    assert classify_async(code).action is action


def test_backoffs_grow_and_are_capped():
    assert [backoff(a).total_seconds() for a in (0, 1, 2, 3)] == [1, 1, 2, 4]
    assert backoff(20).total_seconds() == 60
    assert [pair_backoff(a).total_seconds() for a in (1, 2, 3, 4, 5, 9)] == [1, 4, 16, 64, 256, 256]


def test_the_number_waits_after_throughput_and_number_level_refusals_only():
    assert number_wait(classify(130429, 400)) == timedelta(seconds=1)
    assert number_wait(classify(130429, 503)) == timedelta(seconds=1), "even when unknown"
    assert number_wait(classify_async(131048)) == timedelta(hours=3)
    assert number_wait(classify(131056, 400)) is None, "the pair rate is one customer's"
    assert number_wait(classify(131026, 400)) is None
