"""The simulator's report: what a test, a benchmark or an operator asks after a run."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from broadcaster.simulator.simulator import Simulator


def build_report(sim: Simulator, include_messages: bool = False) -> dict[str, Any]:
    """JSON-able counts by type, template, status and error code, windows and webhooks."""
    ledger = sim.ledger
    numbers = dict.fromkeys((*sim.config.phone_number_ids, *ledger.accept_times))
    report: dict[str, Any] = {
        "requests": dict(ledger.requests),
        "accepted": len(ledger.accepted),
        "accepted_by_type": dict(ledger.accepted_by_type),
        "accepted_by_template": dict(ledger.accepted_by_template),
        "accepted_by_phone_number_id": dict(ledger.accepted_by_number),
        "errors": _by_code(ledger.sync_errors),
        "async_errors": _by_code(ledger.async_errors),
        "statuses": dict(ledger.statuses),
        "faults": dict(ledger.faults),
        "responses_dropped": ledger.faults["drop"],
        "marked_read": ledger.marked_read,
        "messages_per_second_cap": sim.config.messages_per_second,
        "max_in_window_1s": {n: sim.max_in_window(n, 1.0) for n in numbers},
        "inbound": {"injected": ledger.inbound.total(), "by_type": dict(ledger.inbound)},
        "webhooks": {
            **dataclasses.asdict(sim.webhooks.stats),
            "pending": sim.webhooks.pending(),
        },
    }
    if include_messages:
        report["messages"] = [m.as_dict() for m in ledger.accepted]
    return report


def _by_code(counts: Mapping[int, int]) -> dict[str, int]:
    return {str(code): n for code, n in sorted(counts.items())}
