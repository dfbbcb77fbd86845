"""What a recipient's next state is after an attempt: unknown outcomes end too."""

from __future__ import annotations

from datetime import timedelta

from broadcaster.domain.deliveries import State
from broadcaster.domain.send_errors import classify, classify_transport
from broadcaster.services.outcomes import decide

RECONCILE = timedelta(minutes=2)


def test_an_unknown_outcome_waits_for_webhooks_then_ends_at_max_attempts():
    unknown = classify_transport(written=True)
    waiting = decide(unknown, 1, 1_000, RECONCILE, max_attempts=3)
    assert (waiting.state, waiting.due_ms) == (State.UNKNOWN, 1_000 + 120_000)
    assert decide(unknown, 2, 1_000, RECONCILE, 3).state is State.UNKNOWN
    assert decide(unknown, 3, 1_000, RECONCILE, 3).state is State.FAILED, "it must finish"


def test_accepted_retry_and_permanent_failures():
    assert decide(None, 1, 0, RECONCILE, 3).state is State.ACCEPTED
    assert decide(classify(130429, 400), 1, 0, RECONCILE, 3).state is State.RETRY
    assert decide(classify(130429, 400), 3, 0, RECONCILE, 3).state is State.FAILED
    assert decide(classify(131026, 400), 1, 0, RECONCILE, 3).state is State.FAILED
