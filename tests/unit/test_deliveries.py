"""Per-recipient delivery states: forward-only moves, opaque ids, report tallies."""

from __future__ import annotations

import pytest

from broadcaster.domain.deliveries import (
    EMPTY_TALLY,
    Recipient,
    State,
    Tally,
    allowed_from,
    can_move,
    source_mask,
)


def test_status_webhooks_only_move_a_recipient_forward():
    assert can_move(State.ACCEPTED, State.DELIVERED)
    assert can_move(State.DELIVERED, State.READ)
    assert not can_move(State.READ, State.DELIVERED)
    assert not can_move(State.DELIVERED, State.FAILED)
    assert can_move(State.SENT, State.FAILED)


def test_outcomes_of_our_own_request_apply_only_while_it_is_ours():
    assert can_move(State.SENDING, State.ACCEPTED)
    assert not can_move(State.RETRY, State.ACCEPTED)
    assert allowed_from(State.PENDING) == frozenset()


def test_the_source_mask_has_one_bit_per_allowed_state():
    mask = source_mask(State.RETRY)
    assert mask == 1 << State.SENDING
    assert source_mask(State.PENDING) == 0
    assert bin(source_mask(State.READ)).count("1") == len(allowed_from(State.READ))
    assert State.WAITING_BUDGET.label == "waiting_budget"


def test_a_recipient_round_trips_through_its_opaque_callback_data():
    recipient = Recipient("INC-1-notice-r1", 42, 3)
    assert recipient.opaque() == "INC-1-notice-r1|42|3"
    assert Recipient.parse(recipient.opaque()) == recipient


@pytest.mark.parametrize("opaque", ["", "a|1", "|1|2", "a|x|2", "a|1|2|3"])
def test_foreign_opaque_data_is_not_ours(opaque):
    assert Recipient.parse(opaque) is None


def test_a_tally_counts_states_as_the_report_shows_them():
    counts = {"pending": 2, "unknown": 1, "accepted": 3, "delivered": 4, "read": 5, "failed": 1}
    tally = Tally.from_counts({**counts, "skipped": 2})
    assert tally.to_dict() == {
        "queued": 3,
        "sent": 12,
        "delivered": 9,
        "read": 5,
        "failed": 1,
        "skipped": 2,
    }
    assert tally.unknown == 1
    assert (tally + tally).sent == 24
    assert tally + EMPTY_TALLY == tally
