"""Read endpoints: ``GET /{waba_id}/message_templates`` and ``GET /{phone_number_id}``.

Templates are rendered in Graph's shape (components HEADER/BODY/FOOTER/BUTTONS with
examples) and paged with opaque ``before``/``after`` cursors, as Graph pages edges.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping, Sequence
from typing import Any, Final
from urllib.parse import urlencode

from broadcaster.simulator.catalog import ApprovedTemplate
from broadcaster.simulator.config import SimulatorConfig
from broadcaster.simulator.fields import fail
from broadcaster.simulator.graph_errors import INVALID_PARAMETER

DEFAULT_LIMIT: Final = 25
MAX_LIMIT: Final = 1000


def template_id(template: ApprovedTemplate) -> str:
    """A stable 16-digit id per (name, language), like Meta's."""
    digest = hashlib.sha256(f"{template.name}\0{template.language}".encode()).hexdigest()
    return str(10**15 + int(digest[:12], 16) % (9 * 10**15))


def template_item(template: ApprovedTemplate) -> dict[str, Any]:
    """One entry of ``data[]`` with every field."""
    return {
        "name": template.name,
        "parameter_format": template.parameter_format,
        "components": components(template),
        "language": template.language,
        "status": template.status,
        "category": template.category,
        "id": template_id(template),
    }


def components(t: ApprovedTemplate) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if t.header_text or t.header_params:
        header_text = t.header_text or "{{1}}"
        header: dict[str, Any] = {"type": "HEADER", "format": "TEXT", "text": header_text}
        if t.header_params:
            examples = [f"example {i + 1}" for i in range(t.header_params)]
            header["example"] = {"header_text": examples}
        out.append(header)
    body_text = t.body_text or " ".join(f"{{{{{i}}}}}" for i in range(1, t.body_params + 1))
    body: dict[str, Any] = {"type": "BODY", "text": body_text}
    if t.body_params:
        body["example"] = {"body_text": [[f"example {i + 1}" for i in range(t.body_params)]]}
    out.append(body)
    if t.footer_text:
        out.append({"type": "FOOTER", "text": t.footer_text})
    if t.buttons:
        out.append({"type": "BUTTONS", "buttons": [_button(t, i) for i in range(len(t.buttons))]})
    return out


def _button(t: ApprovedTemplate, index: int) -> dict[str, Any]:
    label = t.button_labels[index] if index < len(t.button_labels) else f"Button {index + 1}"
    if t.buttons[index] == "quick_reply":
        return {"type": "QUICK_REPLY", "text": label}
    url = t.button_url + ("{{1}}" if t.url_button_params else "")
    button: dict[str, Any] = {"type": "URL", "text": label, "url": url}
    if t.url_button_params:
        button["example"] = [t.button_url + "example"]
    return button


def list_templates(
    templates: Sequence[ApprovedTemplate], query: Mapping[str, str], url: str
) -> dict[str, Any]:
    """Graph's answer to ``GET /{waba_id}/message_templates`` for ``query`` at ``url``."""
    matching = [t for t in templates if _matches(t, query)]
    limit = _limit(query.get("limit"))
    if "after" in query:
        start = _cursor_index(query["after"]) + 1
    elif "before" in query:
        start = max(0, _cursor_index(query["before"]) - limit)
    else:
        start = 0
    page = matching[start : start + limit]
    fields = [f for f in query.get("fields", "").split(",") if f]
    data = [_select(template_item(t), fields) for t in page]
    result: dict[str, Any] = {"data": data}
    if page:
        paging: dict[str, Any] = {
            "cursors": {"before": _cursor(start), "after": _cursor(start + len(page) - 1)}
        }
        params = {k: v for k, v in query.items() if k not in ("after", "before")}
        if start + len(page) < len(matching):
            paging["next"] = _page_url(url, params, "after", paging["cursors"]["after"])
        if start > 0:
            paging["previous"] = _page_url(url, params, "before", paging["cursors"]["before"])
        result["paging"] = paging
    return result


def _matches(t: ApprovedTemplate, query: Mapping[str, str]) -> bool:
    name = query.get("name")
    statuses = {s.upper() for s in query.get("status", "").split(",") if s}
    return (
        (not name or name.lower() in t.name.lower())
        and (not statuses or t.status in statuses)
        and (not query.get("category") or t.category == query["category"].upper())
        and (not query.get("language") or t.language == query["language"])
    )


def _limit(raw: str | None) -> int:
    if raw is None:
        return DEFAULT_LIMIT
    if not raw.isdigit() or not 0 < int(raw) <= MAX_LIMIT:
        fail(INVALID_PARAMETER, f"limit must be an integer from 1 to {MAX_LIMIT}.")
    return int(raw)


def _cursor(index: int) -> str:
    return base64.urlsafe_b64encode(f"sim:{index}".encode()).decode()


def _cursor_index(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor.encode()).decode()
        if text.startswith("sim:"):
            return int(text[4:])
    except (ValueError, UnicodeDecodeError):
        pass
    fail(INVALID_PARAMETER, "Invalid cursor.")


def _select(item: dict[str, Any], fields: list[str]) -> dict[str, Any]:
    if not fields:
        return item
    return {k: v for k, v in item.items() if k in fields or k == "id"}


def _page_url(url: str, params: Mapping[str, str], key: str, cursor: str) -> str:
    return f"{url}?{urlencode({**params, key: cursor})}"


def phone_number_node(
    config: SimulatorConfig, phone_number_id: str, fields: str | None
) -> dict[str, Any]:
    """``GET /{phone_number_id}``: identity, quality and throughput level."""
    cap = config.messages_per_second
    display = config.display_number(phone_number_id)
    node: dict[str, Any] = {
        "verified_name": "Outage Broadcaster Simulator",
        "display_phone_number": f"+{display}",
        "quality_rating": "GREEN",
        "code_verification_status": "VERIFIED",
        "platform_type": "CLOUD_API",
        "throughput": {"level": "STANDARD" if 0 < cap <= 80 else "HIGH"},
        "whatsapp_business_manager_messaging_limit": "TIER_UNLIMITED",
        "id": phone_number_id,
    }
    wanted = {f for f in (fields or "").split(",") if f}
    if not wanted:
        wanted = {"verified_name", "display_phone_number", "quality_rating", "id"}
    return {k: v for k, v in node.items() if k in wanted or k == "id"}
