"""Keep track of templates Meta has paused or disabled, and expose it as a gauge.

A paused template stops every broadcast that uses it (132015/132016 pause the broadcast);
the gauge tells the on-call *which* template and language, so they can switch or fix it
before resuming. See ``adapters.template_status`` for where the facts come from.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from broadcaster.adapters.template_status import TemplateStatus, TemplateStatuses
from broadcaster.adapters.whatsapp_webhooks import TemplateEvent
from broadcaster.domain.send_errors import Verdict
from broadcaster.domain.timefmt import format_rfc3339
from broadcaster.metrics import TEMPLATE_PAUSED
from broadcaster.rendering import Renderer

# send errors that say the template itself is refused, as Meta's event would name it
REFUSALS = {132015: "PAUSED", 132016: "DISABLED"}


async def record_template_events(
    statuses: TemplateStatuses, events: Iterable[TemplateEvent], now: datetime
) -> None:
    at = format_rfc3339(now) or ""
    for event in events:
        await statuses.record(
            TemplateStatus(event.name, event.language, event.event, event.reason, at, "webhook")
        )


async def record_template_refusal(
    statuses: TemplateStatuses, verdict: Verdict, payload: dict[str, Any], now: datetime
) -> None:
    event = REFUSALS.get(verdict.code)
    template = payload.get("template") or {}
    if event is None or not template.get("name"):
        return
    code = str((template.get("language") or {}).get("code", ""))
    at = format_rfc3339(now) or ""
    await statuses.record(TemplateStatus(template["name"], code, event, verdict.reason, at, "send"))


async def refresh_template_gauge(statuses: TemplateStatuses, renderer: Renderer) -> None:
    blocked = {(s.name, s.code) for s in await statuses.all() if s.blocked}
    TEMPLATE_PAUSED.clear()
    for template in renderer.templates():
        paused = (template.name, template.code) in blocked
        TEMPLATE_PAUSED.labels(template.kind.value, template.language).set(1 if paused else 0)
