"""Approved templates the simulator tests share, and send bodies that match them."""

from __future__ import annotations

from typing import Any

from broadcaster.simulator.catalog import ApprovedTemplate

NOTICE = ApprovedTemplate(
    "outage_notice_v1",
    "id",
    header_text="Gangguan {{1}}",
    body_text="Gangguan di {{1}} hingga {{2}}.",
    footer_text="Balas STOP untuk berhenti",
    buttons=("quick_reply", "url"),
    url_button_params=1,
    button_labels=("Berhenti", "Status"),
)
NOTICE_EN_US = ApprovedTemplate(
    "outage_notice_v1", "en_US", body_text="Outage in {{1}} until {{2}}."
)
PAUSED = ApprovedTemplate("paused_notice", "id", status="PAUSED", body_params=1)
DISABLED = ApprovedTemplate("disabled_notice", "id", status="DISABLED")
PENDING = ApprovedTemplate("pending_notice", "id", status="PENDING")
VOUCHER = ApprovedTemplate("voucher_v1", "id", category="MARKETING", body_text="Voucher {{1}}")
NAMED = ApprovedTemplate(
    "eta_named", "en", parameter_format="NAMED", body_text="Back by {{eta}} in {{area}}."
)
ALL = (NOTICE, NOTICE_EN_US, PAUSED, DISABLED, PENDING, VOUCHER, NAMED)

RECIPIENT = "+6281234567890"


def notice_components(
    header: str = "jaringan",
    body: tuple[str, ...] = ("Jakarta Selatan", "14:30 WIB"),
    url_suffix: str | None = "inc-42",
    payload: str | None = "STOP_42",
) -> list[dict[str, Any]]:
    components: list[dict[str, Any]] = [
        {"type": "header", "parameters": [{"type": "text", "text": header}]},
        {"type": "body", "parameters": [{"type": "text", "text": t} for t in body]},
    ]
    if payload is not None:
        components.append(
            {
                "type": "button",
                "sub_type": "quick_reply",
                "index": "0",
                "parameters": [{"type": "payload", "payload": payload}],
            }
        )
    if url_suffix is not None:
        components.append(
            {
                "type": "button",
                "sub_type": "url",
                "index": 1,
                "parameters": [{"type": "text", "text": url_suffix}],
            }
        )
    return components


def template_send(
    name: str = "outage_notice_v1",
    language: str = "id",
    components: list[dict[str, Any]] | None = None,
    to: str = RECIPIENT,
    **extra: Any,
) -> dict[str, Any]:
    template: dict[str, Any] = {"name": name, "language": {"code": language}}
    template["components"] = notice_components() if components is None else components
    return {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": to,
        "type": "template",
        "template": template,
        **extra,
    }


def text_send(body: str = "Layanan sudah pulih.", to: str = RECIPIENT) -> dict[str, Any]:
    return {"messaging_product": "whatsapp", "to": to, "type": "text", "text": {"body": body}}


def buttons_send(
    buttons: list[tuple[str, str]] | None = None,
    body: str = "Apakah layanan Anda sudah normal?",
    to: str = RECIPIENT,
    footer: str | None = None,
) -> dict[str, Any]:
    pairs = (
        [("svc_ok", "Sudah normal"), ("svc_down", "Masih gangguan")] if buttons is None else buttons
    )
    interactive: dict[str, Any] = {
        "type": "button",
        "body": {"text": body},
        "action": {
            "buttons": [{"type": "reply", "reply": {"id": i, "title": t}} for i, t in pairs]
        },
    }
    if footer is not None:
        interactive["footer"] = {"text": footer}
    return {
        "messaging_product": "whatsapp",
        "to": to,
        "type": "interactive",
        "interactive": interactive,
    }
