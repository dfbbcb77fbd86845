"""A template send's ``components`` checked against the approved template's parameter shape.

Codes as the Cloud API answers: wrong count 132000, missing dynamic URL parameter 131008,
empty text 131008, new-line/tab/5 spaces 132018, media where TEXT was approved 132012,
filled-in body over 1024 characters 132005, anything malformed 131009 or 100.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from broadcaster.simulator import graph_errors as codes
from broadcaster.simulator.catalog import ApprovedTemplate, TemplateShape
from broadcaster.simulator.fields import as_object, as_text, fail, required

BODY_MAX: Final = 1024
PAYLOAD_MAX: Final = 1000
MEDIA_TYPES: Final = frozenset({"image", "video", "document", "location"})
FALLBACK_TYPES: Final = frozenset({"currency", "date_time"})
WHITESPACE_RULE: Final = (
    "Param text cannot have new-line/tab characters or more than 4 consecutive spaces"
)

Component = Mapping[str, Any]


def template_values(shape: TemplateShape, components: Any) -> tuple[str, ...]:
    """Every parameter value (header, body, then buttons by index) or a ``GraphError``."""
    if not isinstance(components, list):
        fail(codes.INVALID_PARAMETER_VALUE, "template['components'] must be a list.")
    template = shape.template
    header, body, buttons = _split(components, template)
    header_values = _text_values("header", header, shape.header_names, template)
    body_values = _text_values("body", body, shape.body_names, template)
    if shape.filled_body_len(body_values) > BODY_MAX:
        fail(codes.TEXT_TOO_LONG, f"body: text longer than {BODY_MAX} characters once filled in")
    return (
        *(header_values[n] for n in shape.header_names),
        *(body_values[n] for n in shape.body_names),
        *_button_values(buttons, template),
    )


def _split(
    components: list[Any], template: ApprovedTemplate
) -> tuple[Component | None, Component | None, dict[int, Component]]:
    header: Component | None = None
    body: Component | None = None
    buttons: dict[int, Component] = {}
    for i, raw in enumerate(components):
        component = as_object(raw, f"template['components'][{i}]")
        kind = str(component.get("type", "")).lower()
        if kind == "header" and header is None:
            header = component
        elif kind == "body" and body is None:
            body = component
        elif kind == "button":
            buttons[_button_index(component, template, buttons)] = component
        else:
            fail(codes.INVALID_PARAMETER_VALUE, f"Invalid or repeated component type {kind!r}.")
    return header, body, buttons


def _button_index(component: Component, template: ApprovedTemplate, seen: Mapping[int, Any]) -> int:
    raw = required(component, "index", "index")
    index = int(raw) if isinstance(raw, int | str) and str(raw).isdigit() else -1
    if not 0 <= index < len(template.buttons) or index in seen:
        fail(
            codes.INVALID_PARAMETER_VALUE,
            f"buttons: no button at index {raw!r} in the template, or the index is repeated",
        )
    sub_type = str(component.get("sub_type", "")).lower()
    if sub_type != template.buttons[index]:
        fail(
            codes.INVALID_PARAMETER_VALUE,
            f"buttons: button at index {index} is of type {template.buttons[index]}, "
            f"not {sub_type or 'missing'}",
        )
    return index


def _parameters(component: Component | None, where: str) -> list[Any]:
    params = [] if component is None else component.get("parameters", [])
    if not isinstance(params, list):
        fail(codes.INVALID_PARAMETER_VALUE, f"{where}: parameters must be a list.")
    return params


def _count_mismatch(where: str, given: int, expected: int) -> None:
    if given != expected:
        fail(
            codes.PARAMETER_COUNT,
            f"{where}: number of localizable_params ({given}) does not match the expected "
            f"number of params ({expected})",
        )


def _text_values(
    part: str, component: Component | None, names: tuple[str, ...], template: ApprovedTemplate
) -> dict[str, str]:
    params = _parameters(component, part)
    _count_mismatch(part, len(params), len(names))
    values = [_value(param, part) for param in params]
    if template.parameter_format != "NAMED":
        return dict(zip(names, values, strict=True))
    given = [_name(param, part) for param in params]
    if sorted(given) != sorted(names):
        fail(
            codes.PARAMETER_COUNT,
            f"{part}: parameter names {sorted(given)} do not match the template's {sorted(names)}",
        )
    return dict(zip(given, values, strict=True))


def _name(param: Component, part: str) -> str:
    name = param.get("parameter_name")
    if not isinstance(name, str) or not name:
        fail(codes.INVALID_PARAMETER, f"{part}: parameter name is missing or empty")
    return name


def _value(raw: Any, where: str) -> str:
    param = as_object(raw, f"{where}: parameter")
    kind = param.get("type")
    if kind == "text":
        value = _text(param)
    elif kind in FALLBACK_TYPES:
        inner = param.get(kind)
        fallback = inner.get("fallback_value") if isinstance(inner, dict) else None
        if not isinstance(fallback, str):
            fail(
                codes.INVALID_PARAMETER,
                f"Parameter '{kind}' with a fallback_value is mandatory for parameter type "
                f"'{kind}'",
            )
        value = fallback
    elif kind in MEDIA_TYPES:
        fail(codes.PARAMETER_FORMAT, f"{where}: Format mismatch, expected TEXT, received {kind}")
    else:
        fail(codes.INVALID_PARAMETER_VALUE, f"{where}: parameter type {kind!r} is not valid")
    if "\n" in value or "\t" in value or "     " in value:
        fail(codes.PARAMETER_WHITESPACE, WHITESPACE_RULE)
    return value


def _text(param: Component) -> str:
    if "text" not in param:
        fail(
            codes.INVALID_PARAMETER,
            "Parameter 'text' is mandatory for component parameter type 'text'",
        )
    value = param["text"]
    if not isinstance(value, str):
        fail(codes.INVALID_PARAMETER_VALUE, "Parameter of type text must have a string text value")
    if not value.strip():
        fail(codes.REQUIRED_PARAMETER_MISSING, "Parameter of type text is missing text value")
    return value


def _button_values(buttons: Mapping[int, Component], template: ApprovedTemplate) -> list[str]:
    out: list[str] = []
    for index, kind in enumerate(template.buttons):
        component = buttons.get(index)
        if kind == "url":
            out += _url_suffix(index, component, template.url_button_params)
        elif component is not None:
            out.append(_quick_reply_payload(index, component))
    return out


def _url_suffix(index: int, component: Component | None, expected: int) -> list[str]:
    where = f"button at index {index}"
    if component is None:
        if expected:
            fail(
                codes.REQUIRED_PARAMETER_MISSING,
                f"buttons: Button at index {index} of type Url requires a parameter",
            )
        return []
    params = _parameters(component, where)
    _count_mismatch(where, len(params), expected)
    for param in params:
        if as_object(param, f"{where}: parameter").get("type") != "text":
            fail(codes.INVALID_PARAMETER_VALUE, f"{where}: a URL suffix is a text parameter")
    return [_value(param, where) for param in params]


def _quick_reply_payload(index: int, component: Component) -> str:
    where = f"button at index {index}"
    params = _parameters(component, where)
    _count_mismatch(where, len(params), 1)
    param = as_object(params[0], f"{where}: parameter")
    if param.get("type") != "payload":
        fail(codes.INVALID_PARAMETER_VALUE, f"{where}: a quick_reply button takes a payload")
    return as_text(param.get("payload"), f"{where}: payload", PAYLOAD_MAX)
