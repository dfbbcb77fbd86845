"""WhatsApp webhooks, sans I/O: verify the signature over the raw body, parse the envelope.

One POST may batch up to 1,000 updates across entries, changes and statuses; every one is
read. Unknown fields are ignored (Meta adds fields), but a body that is not Meta's envelope
is refused as a whole.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from broadcaster.domain.signatures import meta_signature_valid
from broadcaster.errors import WebhookRejected

TEMPLATE_FIELD = "message_template_status_update"


@dataclass(frozen=True, slots=True)
class StatusUpdate:
    wamid: str
    status: str
    timestamp: int
    recipient_id: str
    opaque: str
    phone_number_id: str
    category: str = ""
    billable: bool = False
    error_codes: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class InboundMessage:
    message_id: str
    from_number: str
    timestamp: int
    type: str
    phone_number_id: str
    text: str = ""
    payload: str = ""  # quick-reply button payload or interactive reply id
    context_id: str = ""  # the wamid of ours it replies to
    profile_name: str = ""


@dataclass(frozen=True, slots=True)
class TemplateEvent:
    """``message_template_status_update``: a template was paused, disabled, approved..."""

    name: str
    language: str  # Meta's language code
    event: str
    reason: str


@dataclass(frozen=True, slots=True)
class WebhookBatch:
    statuses: list[StatusUpdate] = field(default_factory=list)
    messages: list[InboundMessage] = field(default_factory=list)
    templates: list[TemplateEvent] = field(default_factory=list)
    other_fields: list[str] = field(default_factory=list)


def verify(app_secret: str, body: bytes, header: str | None) -> None:
    """401 without a signature, 403 with a wrong one (pywa's convention, Meta retries both)."""
    if not header:
        raise WebhookRejected(401, "signature_missing", "X-Hub-Signature-256 header is missing")
    if not meta_signature_valid(app_secret, body, header):
        raise WebhookRejected(403, "signature_invalid", "X-Hub-Signature-256 does not match")


def parse(body: bytes) -> WebhookBatch:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise WebhookRejected(400, "malformed_json", f"body is not JSON: {exc}") from exc
    if not isinstance(data, dict) or data.get("object") != "whatsapp_business_account":
        raise WebhookRejected(400, "not_whatsapp", "object must be whatsapp_business_account")
    entries = data.get("entry")
    if not isinstance(entries, list):
        raise WebhookRejected(400, "invalid_envelope", "entry must be a list")
    batch = WebhookBatch()
    for entry in entries:
        for change in _list(entry, "changes"):
            value = change.get("value") if isinstance(change, dict) else None
            if not isinstance(value, dict):
                raise WebhookRejected(400, "invalid_envelope", "changes[].value must be an object")
            kind = change.get("field")
            if kind == "messages":
                _read_value(value, batch)
            elif kind == TEMPLATE_FIELD:
                batch.templates.append(_template_event(value))
            else:
                batch.other_fields.append(str(kind))
    return batch


def _list(node: Any, key: str) -> list[Any]:
    if not isinstance(node, dict):
        raise WebhookRejected(400, "invalid_envelope", f"expected an object holding {key}")
    value = node.get(key, [])
    if not isinstance(value, list):
        raise WebhookRejected(400, "invalid_envelope", f"{key} must be a list")
    return value


def _read_value(value: Mapping[str, Any], batch: WebhookBatch) -> None:
    metadata = value.get("metadata") or {}
    number_id = str(metadata.get("phone_number_id", "")) if isinstance(metadata, dict) else ""
    names = {
        str(c.get("wa_id", "")): str((c.get("profile") or {}).get("name", ""))
        for c in _list(value, "contacts")
        if isinstance(c, dict)
    }
    try:
        for status in _list(value, "statuses"):
            batch.statuses.append(_status(status, number_id))
        for message in _list(value, "messages"):
            batch.messages.append(_message(message, number_id, names))
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise WebhookRejected(400, "invalid_update", f"malformed status or message: {exc}") from exc


def _status(raw: Mapping[str, Any], number_id: str) -> StatusUpdate:
    pricing = raw.get("pricing") or {}
    errors = tuple(int(e["code"]) for e in raw.get("errors") or [] if isinstance(e, dict))
    return StatusUpdate(
        wamid=str(raw["id"]),
        status=str(raw["status"]),
        timestamp=int(raw.get("timestamp") or 0),
        recipient_id=str(raw.get("recipient_id", "")),
        opaque=str(raw.get("biz_opaque_callback_data", "")),
        phone_number_id=number_id,
        category=str(pricing.get("category", "")),
        billable=bool(pricing.get("billable", bool(pricing))),
        error_codes=errors,
    )


def _message(raw: Mapping[str, Any], number_id: str, names: Mapping[str, str]) -> InboundMessage:
    kind = str(raw["type"])
    text, payload = "", ""
    if kind == "text":
        text = str(raw["text"]["body"])
    elif kind == "button":
        payload = str(raw["button"].get("payload", ""))
        text = str(raw["button"].get("text", ""))
    elif kind == "interactive":
        reply = raw["interactive"].get("button_reply") or raw["interactive"].get("list_reply") or {}
        payload, text = str(reply.get("id", "")), str(reply.get("title", ""))
    sender = str(raw["from"])
    return InboundMessage(
        message_id=str(raw["id"]),
        from_number=sender,
        timestamp=int(raw.get("timestamp") or 0),
        type=kind,
        phone_number_id=number_id,
        text=text,
        payload=payload,
        context_id=str((raw.get("context") or {}).get("id", "")),
        profile_name=names.get(sender, ""),
    )


def _template_event(value: Mapping[str, Any]) -> TemplateEvent:
    name, event = value.get("message_template_name"), value.get("event")
    if not isinstance(name, str) or not name or not isinstance(event, str) or not event:
        raise WebhookRejected(
            400, "invalid_update", "message_template_status_update needs a template name and event"
        )
    return TemplateEvent(
        name=name,
        language=str(value.get("message_template_language") or ""),
        event=event.upper(),
        reason=str(value.get("reason") or ""),
    )
