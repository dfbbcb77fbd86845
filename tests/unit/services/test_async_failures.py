"""Which failed status webhooks reach beyond their recipient."""

from __future__ import annotations

from broadcaster.adapters.whatsapp_webhooks import StatusUpdate
from broadcaster.services.async_failures import verdicts


def failed(code: int, number: str = "PN1", status: str = "failed") -> StatusUpdate:
    return StatusUpdate("wamid", status, 1, "62811", "b|1|1", number, error_codes=(code,))


def test_account_failures_hold_once_per_reason_and_number_failures_keep_the_longest_wait():
    account, waits = verdicts(
        [
            failed(131042),
            failed(131042),
            failed(131031),
            failed(131048, "PN1"),
            failed(130429, "PN1"),
            failed(130429, "PN2"),
        ]
    )
    assert sorted(v.reason for v in account) == ["account_locked", "payment"]
    assert waits == {"PN1": 3 * 3600, "PN2": 1}


def test_failures_about_one_customer_only_change_nothing_else():
    assert verdicts([failed(131026), failed(131050), failed(131049)]) == ([], {})
    assert verdicts([failed(131042, status="delivered")]) == ([], {})
