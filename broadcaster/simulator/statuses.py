"""The status flow of an accepted message and the status objects Meta posts (v24+ shape).

``plan_statuses`` decides, at accept time, which statuses a message will get and when:
``sent``, then ``delivered`` (``delivered_ratio``), then ``read`` (``read_ratio`` of the
delivered), or ``failed`` with the async error Meta would report. ``status_object`` renders
one as it appears in a webhook: pricing on ``sent`` and ``delivered``, ``errors`` only on
``failed``, no ``conversation`` object.
"""

from __future__ import annotations

import random
from typing import Any, Final, NamedTuple

from broadcaster.simulator.config import SimulatorConfig
from broadcaster.simulator.graph_errors import (
    MARKETING_STOPPED,
    UNDELIVERABLE,
    WINDOW_CLOSED,
    async_error,
)
from broadcaster.simulator.records import AcceptedMessage

PRICED: Final = frozenset({"sent", "delivered"})
_FREE_SERVICE: Final = {
    "billable": False,
    "pricing_model": "PMP",
    "type": "free_customer_service",
    "category": "service",
}
_FREE_UTILITY: Final = {**_FREE_SERVICE, "category": "utility"}


class StatusStep(NamedTuple):
    """A status due ``after_s`` seconds after the message was accepted."""

    after_s: float
    status: str
    error_code: int | None = None


def plan_statuses(
    message: AcceptedMessage, config: SimulatorConfig, rng: random.Random
) -> list[StatusStep]:
    """Every status ``message`` will get, in order."""
    low, high = config.status_delay_s

    def delay() -> float:
        return low if low == high else rng.uniform(low, high)

    first = delay()
    failure = async_failure(message, config)
    if failure in (WINDOW_CLOSED, MARKETING_STOPPED):
        return [StatusStep(first, "failed", failure)]
    if failure == UNDELIVERABLE and rng.random() < 0.5:
        return [StatusStep(first, "failed", failure)]  # Meta may skip `sent` for these
    faults = config.faults
    if failure is None and faults.webhook_failure_ratio > rng.random():
        failure = faults.webhook_failure_code
    if failure is not None:
        return [StatusStep(first, "sent"), StatusStep(first + delay(), "failed", failure)]
    steps = [StatusStep(first, "sent")]
    if config.delivered_ratio > rng.random():
        delivered = first + delay()
        steps.append(StatusStep(delivered, "delivered"))
        if config.read_ratio > rng.random():
            steps.append(StatusStep(delivered + delay(), "read"))
    return steps


def async_failure(message: AcceptedMessage, config: SimulatorConfig) -> int | None:
    """The async error Meta reports for this message, if its recipient or window forbid it."""
    if message.type != "template" and not message.in_service_window:
        return WINDOW_CLOSED
    if message.template_category == "MARKETING" and _listed(
        message, config.marketing_stopped_numbers
    ):
        return MARKETING_STOPPED
    if _listed(message, config.undeliverable_numbers):
        return UNDELIVERABLE
    return None


def _listed(message: AcceptedMessage, numbers: frozenset[str]) -> bool:
    return bool(numbers) and (
        message.wa_id in numbers or f"+{message.wa_id}" in numbers or message.to in numbers
    )


def pricing(message: AcceptedMessage) -> dict[str, Any]:
    """PMP pricing: templates billed by category, free inside an open service window for
    utility; text and interactive replies are free service messages."""
    if message.type != "template":
        return _FREE_SERVICE
    category = (message.template_category or "UTILITY").lower()
    if category == "utility" and message.in_service_window:
        return _FREE_UTILITY
    return {"billable": True, "pricing_model": "PMP", "type": "regular", "category": category}


def status_object(
    message: AcceptedMessage, status: str, error_code: int | None, now_unix: float
) -> dict[str, Any]:
    """One entry of ``value.statuses`` as Meta posts it."""
    entry: dict[str, Any] = {
        "id": message.wamid,
        "status": status,
        "timestamp": str(int(now_unix)),
        "recipient_id": message.wa_id,
    }
    if message.biz_opaque_callback_data is not None:
        entry["biz_opaque_callback_data"] = message.biz_opaque_callback_data
    if status in PRICED:
        entry["pricing"] = pricing(message)
    if status == "failed" and error_code is not None:
        entry["errors"] = [async_error(error_code)]
    return entry
