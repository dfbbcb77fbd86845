"""`broadcaster report` prints the recovery figures a commander asks about."""

from __future__ import annotations

from broadcaster.cli.commander import print_report

TALLY = {"queued": 0, "sent": 10, "delivered": 9, "read": 4, "failed": 1, "skipped": 0}


def test_the_report_prints_eta_vouchers_follow_up_and_cost(capsys):
    report = {
        "incident": {"id": "INC-7", "status": "resolved", "title": "Fiber down"},
        "audience": {"affected": 12, "notified": 10, "holdout": 2},
        "messages": {"notice": TALLY, "update": {k: 0 for k in TALLY}},
        "eta": {"first_told": "2026-11-24T05:45:00Z", "kept": "kept"},
        "vouchers": {
            "issued": 12,
            "pending": 0,
            "delivered": 11,
            "total_value": 150000,
            "currency": "IDR",
        },
        "follow_up": {
            "answered_ok": 3,
            "answered_down": 1,
            "cases": [{"customer_id": "C1"}],
            "csat": {"answers": 2, "average": 4.5},
        },
        "cost": {"currency": "USD", "estimated": 0.3, "actual": 0.27},
        "deflection": {},
    }
    print_report(report)
    out = capsys.readouterr().out
    assert "update" not in out, "kinds with nothing sent are left out"
    assert "first ETA told: 2026-11-24T05:45:00Z (kept)" in out
    assert "vouchers: 12 issued, 0 pending, 11 delivered, 150000 IDR" in out
    assert "follow-up: 3 working, 1 still broken (1 cases), satisfaction 4.5/5 (2)" in out
    assert "cost: 0.27 USD (0.3 estimated)" in out
