"""Per-recipient delivery states: forward-only moves, callback data, report tallies."""

from __future__ import annotations

import pytest

from broadcaster.domain.deliveries import (
    CLAIMABLE,
    REACHED,
    Recipient,
    State,
    Tally,
    allowed_from,
    can_move,
    source_mask,
)


def test_statuses_only_move_forward():
    assert can_move(State.ACCEPTED, State.SENT)
    assert can_move(State.SENT, State.DELIVERED)
    assert can_move(State.DELIVERED, State.READ)
    assert not can_move(State.READ, State.DELIVERED)
    assert not can_move(State.DELIVERED, State.SENT)
    assert not can_move(State.DELIVERED, State.FAILED), "failed never follows delivered"
    assert can_move(State.SENT, State.FAILED), "failed may follow sent"


def test_a_late_success_of_an_earlier_attempt_still_counts():
    assert can_move(State.RETRY, State.SENT)
    assert can_move(State.UNKNOWN, State.DELIVERED)


def test_proof_of_delivery_overrides_giving_up_but_a_late_sent_does_not():
    assert can_move(State.FAILED, State.DELIVERED)
    assert can_move(State.FAILED, State.READ)
    assert not can_move(State.FAILED, State.SENT), "sent may arrive after failed, out of order"


def test_a_success_reported_for_a_recipient_we_skipped_counts():
    for target in (State.SENT, State.DELIVERED, State.READ):
        assert can_move(State.SKIPPED, target), "a cancel may skip a request that went out"
    assert not can_move(State.SKIPPED, State.FAILED)


def test_only_our_own_request_outcome_leaves_sending():
    assert allowed_from(State.RETRY) == {State.SENDING}
    assert allowed_from(State.UNKNOWN) == {State.SENDING}
    assert State.SKIPPED not in allowed_from(State.SENDING)
    assert allowed_from(State.PENDING) == frozenset()


def test_source_mask_is_the_bitmask_of_allowed_sources():
    mask = source_mask(State.ACCEPTED)
    assert mask == (1 << State.SENDING) | (1 << State.UNKNOWN)
    assert source_mask(State.SENDING) == sum(1 << s for s in CLAIMABLE)


def test_reached_states_are_final_for_sending():
    assert not REACHED & CLAIMABLE


def test_recipient_callback_data_round_trips_and_rejects_garbage():
    recipient = Recipient("INC-7-notice-r1", 41, 2)
    assert Recipient.parse(recipient.opaque()) == recipient
    for garbage in ["", "x", "a|b|c", "|1|2", "a|1"]:
        assert Recipient.parse(garbage) is None


def test_tally_from_counts_and_addition():
    counts = {"pending": 2, "sending": 1, "accepted": 3, "sent": 1, "delivered": 2, "read": 4}
    counts |= {"failed": 1, "unknown": 2, "retry": 1, "skipped": 5, "waiting_budget": 1}
    tally = Tally.from_counts(counts)
    assert tally.queued == 2 + 1 + 2 + 1 + 1
    assert tally.sent == 3 + 1 + 2 + 4
    assert tally.delivered == 6
    assert tally.read == 4
    assert tally.failed == 1
    assert (tally + tally).sent == 20
    assert tally.to_dict()["skipped"] == 5
    assert State.WAITING_BUDGET.label == "waiting_budget"


@pytest.mark.parametrize("state", list(State))
def test_every_state_has_a_label(state):
    assert state.label == state.name.lower()
