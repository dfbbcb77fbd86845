"""Meta's error codes as actions: retry, reschedule, fail, pause, or reconcile first."""

from __future__ import annotations

from datetime import timedelta

import pytest

from broadcaster.domain.send_errors import (
    Action,
    backoff,
    classify,
    classify_async,
    classify_transport,
    pair_backoff,
)


@pytest.mark.parametrize(
    ("code", "status", "action", "reason"),
    [
        (190, 401, Action.PAUSE_ACCOUNT, "token"),
        (250, 403, Action.PAUSE_ACCOUNT, "permission"),  # 200-299: permission errors
        (131042, 400, Action.PAUSE_ACCOUNT, "payment"),
        (80007, 429, Action.PAUSE_NUMBER, "waba_rate_limit"),
        (132001, 404, Action.PAUSE_BROADCAST, "template_missing"),
        (131056, 400, Action.RESCHEDULE, "pair_rate_limit"),
        (131026, 400, Action.FAIL, "undeliverable"),
        (130429, 400, Action.RETRY, "throughput"),
        (131000, 500, Action.UNKNOWN, "server_error"),  # a 5xx may have been accepted
        (999999, 502, Action.UNKNOWN, "server_error"),
        (999999, 400, Action.FAIL, "client_error"),
    ],
)
def test_a_synchronous_error_is_classified_by_its_code(code, status, action, reason):
    verdict = classify(code, status)
    assert verdict.action is action
    assert verdict.reason == reason
    assert verdict.code == code


def test_limits_carry_how_long_to_wait():
    assert classify(131048, 400).backoff == timedelta(hours=3)
    assert classify(131056, 400).backoff == timedelta(seconds=6)
    assert classify(1, 400).backoff == timedelta(seconds=2)
    assert classify(131026, 400).backoff is None


def test_a_request_that_never_left_is_retried_one_that_did_is_reconciled():
    assert classify_transport(written=False).action is Action.RETRY
    assert classify_transport(written=True).action is Action.UNKNOWN


@pytest.mark.parametrize(
    ("code", "action", "reason"),
    [
        (130429, Action.RETRY, "throughput"),
        (131048, Action.PAUSE_NUMBER, "spam_rate_limit"),
        (190, Action.PAUSE_ACCOUNT, "token"),
        (131047, Action.FAIL, "window_closed"),
        (123, Action.FAIL, "not_delivered"),
    ],
)
def test_a_failed_status_webhook_is_classified(code, action, reason):
    verdict = classify_async(code)
    assert (verdict.action, verdict.reason) == (action, reason)


def test_backoffs_grow_and_are_capped():
    assert [backoff(n).total_seconds() for n in (0, 1, 2, 3, 10)] == [1, 1, 2, 4, 60]
    assert [pair_backoff(n).total_seconds() for n in (1, 2, 3, 9)] == [1, 4, 16, 256]
