"""The variables a message template can use, for one customer and one incident.

Templates read ``business_name``, ``incident.*`` (broadcast-wide) and ``customer.*``,
``area``, ``eta``, ``since``, ``resolved`` (per customer: the times are in the customer's zone and
language). templates/README.md lists them; ``templates check`` renders every template with
a sample of this context under StrictUndefined.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from broadcaster.domain.customers import Customer
from broadcaster.domain.incidents import Incident
from broadcaster.domain.timefmt import format_rfc3339
from broadcaster.localization import format_local


def incident_context(incident: Incident, business_name: str) -> dict[str, Any]:
    """The broadcast-wide part, computed once per chunk."""
    return {
        "business_name": business_name,
        "incident": {
            "id": incident.id,
            "title": incident.title,
            "severity": incident.severity.value,
            "status": incident.status.value,
            "summary": incident.summary or "",
            "note": incident.note or "",
            "eta": format_rfc3339(incident.eta) or "",
            "labels": dict(incident.labels),
        },
    }


def customer_fields(customer: Customer) -> dict[str, Any]:
    """``customer.*``: what a message may say about its reader."""
    return {
        "id": customer.customer_id,
        "name": customer.name,
        "first_name": customer.name.split()[0] if customer.name.strip() else "",
        "tier": customer.tier,
        "language": customer.language,
        "attributes": dict(customer.attributes),
    }


def customer_context(
    base: Mapping[str, Any],
    incident: Incident,
    customer: Customer,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """``base`` (from incident_context) plus what depends on the customer."""
    area = incident.labels.get("area") or customer.attributes.get("region", "")
    context = dict(base)
    context.update(
        customer=customer_fields(customer),
        area=area,
        eta=(
            format_local(incident.eta, customer.timezone, customer.language) if incident.eta else ""
        ),
        since=format_local(incident.started_at, customer.timezone, customer.language),
        resolved=(
            format_local(incident.resolved_at, customer.timezone, customer.language)
            if incident.resolved_at
            else ""
        ),
    )
    if extra:
        context.update(extra)
    return context
