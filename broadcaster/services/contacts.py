"""Contacts reported by other channels (call centre, helpdesk, e-mail, chat): recorded in the
same log as WhatsApp contacts, so every channel counts toward deflection.

A batch is validated as a whole first (``parse_contacts``): one bad item records nothing.
Customers we do not know are not an input error (a helpdesk sees people who are not in the
directory); they are listed in the answer and not recorded.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from broadcaster.bootstrap import Deps
from broadcaster.domain.contacts import ContactEvent, e164
from broadcaster.metrics import CONTACTS


async def _ordinal(deps: Deps, event: ContactEvent) -> int | None:
    if event.customer_id:
        return await deps.directory.ordinal(event.customer_id)
    phone = e164(event.phone, deps.settings.app.default_phone_region)
    found = await deps.directory.find_by_phone(phone) if phone else None
    return None if found is None else found[0]


async def record_reported(deps: Deps, events: Sequence[ContactEvent]) -> dict[str, Any]:
    """Record a validated batch; the answer counts what happened to each contact."""
    now_ms = int(deps.clock().timestamp() * 1000)
    recorded = duplicates = 0
    unknown: list[int] = []
    for index, event in enumerate(events):
        ordinal = await _ordinal(deps, event)
        if ordinal is None:
            unknown.append(index)
            continue
        dedupe = f"{event.channel}:{event.external_id}" if event.external_id else ""
        at_ms = int(event.at.timestamp() * 1000)
        if await deps.contacts.record(ordinal, at_ms, event.channel, event.topic, dedupe, now_ms):
            recorded += 1
            CONTACTS.labels(event.channel).inc()
        else:
            duplicates += 1
    return {"recorded": recorded, "duplicates": duplicates, "unknown_customers": unknown}
