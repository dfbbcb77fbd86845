"""Status flow planning and the status objects of webhooks (v24+ shape)."""

from __future__ import annotations

import random
from typing import Any

from broadcaster.simulator.config import SimulatorConfig
from broadcaster.simulator.faults import Faults
from broadcaster.simulator.records import AcceptedMessage
from broadcaster.simulator.statuses import StatusStep, plan_statuses, status_object


def message(**overrides: Any) -> AcceptedMessage:
    fields: dict[str, Any] = {
        "wamid": "wamid.X",
        "phone_number_id": "1000000000001",
        "to": "+6281234567890",
        "wa_id": "6281234567890",
        "type": "template",
        "template_name": "outage_notice_v1",
        "template_language": "id",
        "template_category": "UTILITY",
        "params": [],
        "text": None,
        "interactive": None,
        "biz_opaque_callback_data": "b42:c981",
        "context_wamid": None,
        "accepted_at": 0.0,
        "accepted_at_unix": 0.0,
        "in_service_window": False,
    }
    return AcceptedMessage(**{**fields, **overrides})


def flow(msg: AcceptedMessage, **config: Any) -> list[tuple[str, int | None]]:
    steps = plan_statuses(msg, SimulatorConfig(**config), random.Random(1))
    assert [s.after_s for s in steps] == sorted(s.after_s for s in steps)
    return [(s.status, s.error_code) for s in steps]


def test_delivered_and_read_follow_sent():
    assert flow(message(), read_ratio=1.0) == [("sent", None), ("delivered", None), ("read", None)]
    assert flow(message(), read_ratio=0.0) == [("sent", None), ("delivered", None)]
    assert flow(message(), delivered_ratio=0.0) == [("sent", None)]


def test_text_outside_the_service_window_fails_131047_without_sent():
    assert flow(message(type="text", template_category=None)) == [("failed", 131047)]
    inside = message(type="text", template_category=None, in_service_window=True)
    assert flow(inside, read_ratio=0.0) == [("sent", None), ("delivered", None)]


def test_marketing_to_a_stopped_number_fails_131050_but_utility_goes_through():
    stopped = frozenset({"+6281234567890"})
    marketing = message(template_category="MARKETING")
    assert flow(marketing, marketing_stopped_numbers=stopped) == [("failed", 131050)]
    assert flow(message(), marketing_stopped_numbers=stopped, read_ratio=0.0)[-1] == (
        "delivered",
        None,
    )


def test_undeliverable_numbers_end_failed_131026():
    for seed in range(8):
        steps = plan_statuses(
            message(),
            SimulatorConfig(undeliverable_numbers=frozenset({"6281234567890"})),
            random.Random(seed),
        )
        assert steps[-1].status == "failed"
        assert steps[-1].error_code == 131026
        assert [s.status for s in steps[:-1]] in ([], ["sent"])


def test_injected_failures_carry_the_configured_code():
    faults = Faults(webhook_failure_ratio=1.0, webhook_failure_code=131049)
    assert flow(message(), faults=faults) == [("sent", None), ("failed", 131049)]


def test_status_objects_price_templates_by_category():
    sent = status_object(message(), "sent", None, 1750030073.9)
    assert sent == {
        "id": "wamid.X",
        "status": "sent",
        "timestamp": "1750030073",
        "recipient_id": "6281234567890",
        "biz_opaque_callback_data": "b42:c981",
        "pricing": {
            "billable": True,
            "pricing_model": "PMP",
            "type": "regular",
            "category": "utility",
        },
    }
    marketing = status_object(message(template_category="MARKETING"), "delivered", None, 0)
    assert marketing["pricing"]["category"] == "marketing"
    assert "pricing" not in status_object(message(), "read", None, 0)
    assert "conversation" not in sent


def test_service_messages_and_in_window_utility_are_free():
    text = status_object(message(type="text", in_service_window=True), "sent", None, 0)
    assert text["pricing"] == {
        "billable": False,
        "pricing_model": "PMP",
        "type": "free_customer_service",
        "category": "service",
    }
    utility = status_object(message(in_service_window=True), "sent", None, 0)
    assert (utility["pricing"]["category"], utility["pricing"]["billable"]) == ("utility", False)


def test_failed_status_carries_errors_and_no_pricing():
    failed = status_object(message(biz_opaque_callback_data=None), "failed", 131026, 0)
    assert "pricing" not in failed
    assert "biz_opaque_callback_data" not in failed
    (error,) = failed["errors"]
    assert error["code"] == 131026
    assert set(error) == {"code", "title", "message", "error_data", "href"}
    assert error["error_data"]["details"]


def test_status_steps_are_relative_to_acceptance():
    steps = plan_statuses(message(), SimulatorConfig(status_delay_s=(0.2, 0.2)), random.Random(0))
    assert steps[:2] == [StatusStep(0.2, "sent"), StatusStep(0.4, "delivered")]
