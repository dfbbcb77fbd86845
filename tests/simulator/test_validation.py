"""Pure validation of send bodies: each rule answers with the code the Cloud API uses."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from broadcaster.simulator.catalog import TemplateCatalog
from broadcaster.simulator.graph_errors import GraphError
from broadcaster.simulator.validation import (
    OutboundRequest,
    ReadReceipt,
    parse_json,
    validate_send,
)
from tests.simulator.templates import (
    ALL,
    NAMED,
    NOTICE,
    buttons_send,
    notice_components,
    template_send,
    text_send,
)

CATALOG = TemplateCatalog(ALL)
BUSINESS = "15550000001"


def validate(payload: dict[str, Any]) -> OutboundRequest | ReadReceipt:
    return validate_send(payload, CATALOG, BUSINESS)


def code_of(payload: dict[str, Any]) -> int:
    with pytest.raises(GraphError) as caught:
        validate(payload)
    return caught.value.code


def test_template_send_yields_every_parameter_in_component_order():
    request = validate(template_send(biz_opaque_callback_data="b42:c981"))
    assert isinstance(request, OutboundRequest)
    assert request.template == NOTICE
    assert request.params == ("jaringan", "Jakarta Selatan", "14:30 WIB", "STOP_42", "inc-42")
    assert (request.to, request.wa_id) == ("+6281234567890", "6281234567890")
    assert request.biz_opaque_callback_data == "b42:c981"


def test_button_subtype_is_case_insensitive_and_quick_reply_payload_optional():
    components = notice_components(payload=None)
    components[-1]["sub_type"] = "URL"
    request = validate(template_send(components=components))
    assert isinstance(request, OutboundRequest)
    assert request.params[-1] == "inc-42"


def test_text_is_the_default_type_and_context_is_kept():
    payload = text_send("Halo")
    del payload["type"]
    payload["context"] = {"message_id": "wamid.ABC"}
    request = validate(payload)
    assert isinstance(request, OutboundRequest)
    assert (request.type, request.text, request.context_wamid) == ("text", "Halo", "wamid.ABC")


def test_reply_buttons_are_summarised():
    request = validate(buttons_send(footer="Balas kapan saja"))
    assert isinstance(request, OutboundRequest)
    assert request.interactive == {
        "type": "button",
        "body": "Apakah layanan Anda sudah normal?",
        "buttons": [
            {"id": "svc_ok", "title": "Sudah normal"},
            {"id": "svc_down", "title": "Masih gangguan"},
        ],
    }


def test_mark_as_read_is_a_read_receipt():
    payload = {"messaging_product": "whatsapp", "status": "read", "message_id": "wamid.IN1"}
    assert validate(payload) == ReadReceipt("wamid.IN1")


def test_named_parameters_are_matched_by_name():
    components = [
        {
            "type": "body",
            "parameters": [
                {"type": "text", "parameter_name": "area", "text": "Leeds"},
                {"type": "text", "parameter_name": "eta", "text": "16:00"},
            ],
        }
    ]
    request = validate(template_send(NAMED.name, "en", components))
    assert isinstance(request, OutboundRequest)
    assert request.params == ("16:00", "Leeds")


@pytest.mark.parametrize(
    "raw", [b"{", b"[]", b"\xff", b'"text"'], ids=["truncated", "list", "binary", "string"]
)
def test_a_body_that_is_not_a_json_object_is_error_100(raw: bytes):
    with pytest.raises(GraphError) as caught:
        parse_json(raw)
    assert (caught.value.code, caught.value.http_status) == (100, 400)


def _set(payload: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """Copy of ``payload`` with ``a.b.0.c`` set to ``value`` (``...`` deletes it)."""
    out = copy.deepcopy(payload)
    node: Any = out
    *parents, last = path.split(".")
    for key in parents:
        node = node[int(key)] if isinstance(node, list) else node[key]
    if value is ...:
        del node[int(last) if isinstance(node, list) else last]
    elif isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return out


COMMON_CASES = [
    ("messaging_product", ..., 100),
    ("messaging_product", "sms", 100),
    ("to", ..., 100),
    ("to", "0812-3456-7890", 131009),
    ("to", "+62", 131009),
    ("to", "1234567890123456", 131009),
    ("to", 6281234567890, 131009),
    ("to", "15550000001", 131021),
    ("recipient_type", "group", 131009),
    ("type", "image", 131009),
    ("biz_opaque_callback_data", "x" * 513, 131009),
    ("context", {"id": "wamid.A"}, 100),
]


@pytest.mark.parametrize(("path", "value", "code"), COMMON_CASES)
def test_common_fields(path: str, value: Any, code: int):
    assert code_of(_set(template_send(), path, value)) == code


TEMPLATE_CASES = [
    ("template.name", "no_such_template", 132001),
    ("template.language.code", "en", 132001),  # exact match: en is not en_US
    ("template.language", ..., 100),
    ("template.name", ..., 100),
    ("template.components", {"type": "body"}, 131009),
    ("template.components.1.parameters.1", ..., 132000),
    ("template.components.0.parameters", [], 132000),
    ("template.components.1.parameters.0.text", "Jakarta\nSelatan", 132018),
    ("template.components.1.parameters.0.text", "Jakarta\tSelatan", 132018),
    ("template.components.1.parameters.0.text", "Jakarta     Selatan", 132018),
    ("template.components.1.parameters.0.text", "", 131008),
    ("template.components.1.parameters.0.text", "   ", 131008),
    ("template.components.1.parameters.0.text", ..., 100),
    ("template.components.1.parameters.0.text", 42, 131009),
    ("template.components.1.parameters.0", "Jakarta", 131009),
    ("template.components.1.parameters.0.type", "emoji", 131009),
    ("template.components.0.parameters.0", {"type": "image", "image": {"id": "1"}}, 132012),
    ("template.components.1.parameters.0", {"type": "currency", "currency": {}}, 100),
    ("template.components.1.type", "footer", 131009),
    ("template.components.3", ..., 131008),  # dynamic URL button without its parameter
    ("template.components.3.parameters", [], 132000),
    ("template.components.3.parameters.0.type", "payload", 131009),
    ("template.components.3.index", "7", 131009),
    ("template.components.3.index", "0", 131009),  # the same index twice
    ("template.components.3.sub_type", "quick_reply", 131009),
    ("template.components.2.parameters.0.type", "text", 131009),
    ("template.components.2.parameters", [], 132000),
]


@pytest.mark.parametrize(("path", "value", "code"), TEMPLATE_CASES)
def test_template_rules(path: str, value: Any, code: int):
    assert code_of(_set(template_send(), path, value)) == code


def test_currency_and_date_time_send_their_fallback_value():
    payload = _set(
        template_send(),
        "template.components.1.parameters",
        [
            {"type": "currency", "currency": {"fallback_value": "Rp10.000", "code": "IDR"}},
            {"type": "date_time", "date_time": {"fallback_value": "14:30"}},
        ],
    )
    request = validate(payload)
    assert isinstance(request, OutboundRequest)
    assert request.params[1:3] == ("Rp10.000", "14:30")


@pytest.mark.parametrize(
    ("name", "code", "http_status"),
    [
        ("paused_notice", 132015, 400),
        ("disabled_notice", 132016, 400),
        ("pending_notice", 132001, 404),
    ],
)
def test_only_approved_templates_can_be_sent(name: str, code: int, http_status: int):
    with pytest.raises(GraphError) as caught:
        validate(template_send(name, components=[]))
    assert (caught.value.code, caught.value.http_status) == (code, http_status)


def test_filled_in_body_over_1024_characters_is_132005():
    components = notice_components(body=("x" * 600, "y" * 500))
    assert code_of(template_send(components=components)) == 132005


def test_named_parameters_must_carry_the_template_names():
    body = [{"type": "text", "text": "16:00"}, {"type": "text", "text": "Leeds"}]
    missing_names = [{"type": "body", "parameters": body}]
    assert code_of(template_send(NAMED.name, "en", missing_names)) == 100
    wrong = [{**p, "parameter_name": n} for p, n in zip(body, ("eta", "city"), strict=True)]
    assert (
        code_of(template_send(NAMED.name, "en", [{"type": "body", "parameters": wrong}])) == 132000
    )


TEXT_CASES = [
    ("text", ..., 100),
    ("text", "hello", 131009),
    ("text.body", ..., 100),
    ("text.body", "", 131009),
    ("text.body", "x" * 4097, 131009),
    ("text.preview_url", "yes", 131009),
]


@pytest.mark.parametrize(("path", "value", "code"), TEXT_CASES)
def test_text_rules(path: str, value: Any, code: int):
    assert code_of(_set(text_send(), path, value)) == code


def test_text_body_of_4096_characters_is_accepted():
    assert isinstance(validate(text_send("x" * 4096)), OutboundRequest)


INTERACTIVE_CASES = [
    ("interactive.type", "list", 131009),
    ("interactive.body", ..., 100),
    ("interactive.body.text", "x" * 1025, 131009),
    ("interactive.body.text", "", 131009),
    ("interactive.footer", {"text": "x" * 61}, 131009),
    ("interactive.header", {"type": "text", "text": "x" * 61}, 131009),
    ("interactive.action.buttons", [], 131009),
    ("interactive.action.buttons.0.type", "url", 131009),
    ("interactive.action.buttons.0.reply.title", "x" * 21, 131009),
    ("interactive.action.buttons.0.reply.title", "", 131009),
    ("interactive.action.buttons.0.reply.id", "x" * 257, 131009),
    ("interactive.action.buttons.1.reply.title", "Sudah normal", 131009),  # titles unique
    ("interactive.action", ..., 100),
]


@pytest.mark.parametrize(("path", "value", "code"), INTERACTIVE_CASES)
def test_reply_button_rules(path: str, value: Any, code: int):
    assert code_of(_set(buttons_send(), path, value)) == code


def test_more_than_three_reply_buttons_is_131009():
    four = [(f"b{i}", f"Button {i}") for i in range(4)]
    assert code_of(buttons_send(four)) == 131009


def test_graph_error_body_has_meta_shape():
    with pytest.raises(GraphError) as caught:
        validate(template_send("no_such_template"))
    error = caught.value.body()["error"]
    assert error["message"] == "(#132001) Template name does not exist in the translation"
    assert error["type"] == "OAuthException"
    assert error["code"] == 132001
    assert error["error_data"] == {
        "messaging_product": "whatsapp",
        "details": "template name (no_such_template) does not exist in id",
    }
    assert error["fbtrace_id"]
