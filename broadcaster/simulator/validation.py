"""Pure validation of a ``POST /{phone_number_id}/messages`` body: a send, or a Graph error.

``validate_send`` returns what was asked for or raises ``GraphError`` with the code Meta
answers with (docs/simulator.md lists them). No I/O, no clock, no regex on the hot path:
a send costs a few dictionary lookups and string scans.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final, NamedTuple

from broadcaster.simulator import graph_errors as codes
from broadcaster.simulator.catalog import ApprovedTemplate, TemplateCatalog
from broadcaster.simulator.fields import as_object, as_text, fail, required
from broadcaster.simulator.template_params import template_values

TEXT_BODY_MAX: Final = 4096
INTERACTIVE_BODY_MAX: Final = 1024
FOOTER_MAX: Final = 60
HEADER_MAX: Final = 60
BUTTON_ID_MAX: Final = 256
BUTTON_TITLE_MAX: Final = 20
OPAQUE_MAX: Final = 512
PHONE_DIGITS: Final = range(7, 16)  # E.164: at most 15 digits with the country code


class OutboundRequest(NamedTuple):
    """A send that passed validation; ``params`` is every template parameter, in order."""

    to: str
    wa_id: str
    type: str
    template: ApprovedTemplate | None = None
    params: tuple[str, ...] = ()
    text: str | None = None
    interactive: dict[str, Any] | None = None
    biz_opaque_callback_data: str | None = None
    context_wamid: str | None = None


@dataclass(frozen=True, slots=True)
class ReadReceipt:
    """``{"status": "read", "message_id": ...}``: mark an inbound message as read."""

    message_id: str


def parse_json(raw: bytes) -> dict[str, Any]:
    """The request body as a JSON object, else error 100 as Graph answers."""
    try:
        payload = json.loads(raw)
    except (UnicodeDecodeError, ValueError):
        fail(codes.INVALID_PARAMETER, "The request body is not valid JSON.")
    if not isinstance(payload, dict):
        fail(codes.INVALID_PARAMETER, "The request body must be a JSON object.")
    return payload


def recipient(to: Any, business_number: str) -> str:
    """The recipient's digits (``wa_id``): digits with the country code, optional ``+``."""
    if not isinstance(to, str):
        fail(codes.INVALID_PARAMETER_VALUE, "to must be a string of digits.")
    digits = to[1:] if to.startswith("+") else to
    if not (digits.isascii() and digits.isdigit() and len(digits) in PHONE_DIGITS):
        fail(codes.INVALID_PARAMETER_VALUE, f"Invalid WhatsApp recipient {to!r}.")
    if digits == business_number:
        fail(codes.RECIPIENT_IS_SENDER, "Recipient phone number is the sender's number.")
    return digits


def validate_send(
    payload: Mapping[str, Any], catalog: TemplateCatalog, business_number: str
) -> OutboundRequest | ReadReceipt:
    """Check a send as the Cloud API does; raise ``GraphError`` on the first problem."""
    product = required(payload, "messaging_product", "messaging_product")
    if product != "whatsapp":
        fail(
            codes.INVALID_PARAMETER,
            f'Param messaging_product must be one of {{WHATSAPP}} - got "{product}".',
        )
    if payload.get("status") == "read":
        message_id = as_text(required(payload, "message_id", "message_id"), "message_id", 256)
        return ReadReceipt(message_id)
    to = required(payload, "to", "to")
    wa_id = recipient(to, business_number)
    if payload.get("recipient_type", "individual") != "individual":
        fail(codes.INVALID_PARAMETER_VALUE, "recipient_type must be 'individual'.")
    msg_type = payload.get("type", "text")  # Meta's default when type is omitted
    build = _BUILDERS.get(msg_type) if isinstance(msg_type, str) else None
    if build is None:
        fail(
            codes.INVALID_PARAMETER_VALUE,
            f"Message type {msg_type!r} is not supported by the simulator "
            "(template, text, interactive).",
        )
    fields = build(payload, catalog)
    return OutboundRequest(
        to=to,
        wa_id=wa_id,
        type=msg_type,
        biz_opaque_callback_data=_opaque(payload),
        context_wamid=_context(payload),
        **fields,
    )


def _opaque(payload: Mapping[str, Any]) -> str | None:
    value = payload.get("biz_opaque_callback_data")
    if value is None:
        return None
    return as_text(value, "biz_opaque_callback_data", OPAQUE_MAX, allow_empty=True)


def _context(payload: Mapping[str, Any]) -> str | None:
    context = payload.get("context")
    if context is None:
        return None
    message_id = required(as_object(context, "context"), "message_id", "context['message_id']")
    return as_text(message_id, "context['message_id']", 256)


def _template_fields(payload: Mapping[str, Any], catalog: TemplateCatalog) -> dict[str, Any]:
    template = as_object(required(payload, "template", "template"), "template")
    name = as_text(required(template, "name", "template['name']"), "template['name']", 512)
    language = as_object(
        required(template, "language", "template['language']"), "template['language']"
    )
    code = as_text(
        required(language, "code", "template['language']['code']"),
        "template['language']['code']",
        16,
    )
    shape = catalog.find(name, code)
    if shape is None:
        fail(codes.TEMPLATE_NOT_FOUND, f"template name ({name}) does not exist in {code}")
    _check_status(shape.template)
    params = template_values(shape, template.get("components", []))
    return {"template": shape.template, "params": params}


def _check_status(template: ApprovedTemplate) -> None:
    if template.status == "APPROVED":
        return
    if template.status == "PAUSED":
        fail(codes.TEMPLATE_PAUSED, f"Template {template.name} is paused due to low quality.")
    if template.status == "DISABLED":
        fail(codes.TEMPLATE_DISABLED, f"Template {template.name} is disabled.")
    fail(
        codes.TEMPLATE_NOT_FOUND,
        f"template name ({template.name}) does not exist in {template.language} "
        f"(status {template.status}, not APPROVED)",
    )


def _text_fields(payload: Mapping[str, Any], _: TemplateCatalog) -> dict[str, Any]:
    text = as_object(required(payload, "text", "text"), "text")
    body = as_text(required(text, "body", "text['body']"), "text['body']", TEXT_BODY_MAX)
    if not isinstance(text.get("preview_url", False), bool):
        fail(codes.INVALID_PARAMETER_VALUE, "text['preview_url'] must be a boolean.")
    return {"text": body}


def _interactive_fields(payload: Mapping[str, Any], _: TemplateCatalog) -> dict[str, Any]:
    interactive = as_object(required(payload, "interactive", "interactive"), "interactive")
    kind = interactive.get("type")
    if kind != "button":
        fail(
            codes.INVALID_PARAMETER_VALUE,
            f"Interactive type {kind!r} is not supported by the simulator (button).",
        )
    body = as_object(required(interactive, "body", "interactive['body']"), "interactive['body']")
    body_text = as_text(body.get("text"), "interactive['body']['text']", INTERACTIVE_BODY_MAX)
    _optional_text(interactive, "footer", FOOTER_MAX)
    header = interactive.get("header")
    if header is not None and as_object(header, "interactive['header']").get("type") == "text":
        _optional_text(interactive, "header", HEADER_MAX)
    action = as_object(
        required(interactive, "action", "interactive['action']"), "interactive['action']"
    )
    buttons = _reply_buttons(action.get("buttons"))
    return {"interactive": {"type": "button", "body": body_text, "buttons": buttons}}


def _optional_text(interactive: Mapping[str, Any], part: str, max_len: int) -> None:
    value = interactive.get(part)
    if value is not None:
        as_text(as_object(value, part).get("text"), f"interactive['{part}']['text']", max_len)


def _reply_buttons(buttons: Any) -> list[dict[str, str]]:
    if not isinstance(buttons, list) or not 1 <= len(buttons) <= 3:
        fail(
            codes.INVALID_PARAMETER_VALUE, "interactive['action']['buttons'] needs 1 to 3 buttons."
        )
    out = []
    for i, button in enumerate(buttons):
        where = f"interactive['action']['buttons'][{i}]"
        if as_object(button, where).get("type") != "reply":
            fail(codes.INVALID_PARAMETER_VALUE, f"{where}['type'] must be 'reply'.")
        reply = as_object(button.get("reply"), f"{where}['reply']")
        button_id = as_text(reply.get("id"), f"{where}['reply']['id']", BUTTON_ID_MAX)
        title = as_text(reply.get("title"), f"{where}['reply']['title']", BUTTON_TITLE_MAX)
        out.append({"id": button_id, "title": title})
    if len({b["title"] for b in out}) < len(out) or len({b["id"] for b in out}) < len(out):
        fail(codes.INVALID_PARAMETER_VALUE, "Reply button ids and titles must be unique.")
    return out


_Builder = Callable[[Mapping[str, Any], TemplateCatalog], dict[str, Any]]
_BUILDERS: Final[dict[str, _Builder]] = {
    "template": _template_fields,
    "text": _text_fields,
    "interactive": _interactive_fields,
}
