"""Atlassian Statuspage into signals: webhook notifications and the public API (feeds.md §4).

A webhook body holds either an ``incident`` (the whole incident, updates newest first) or a
``component_update``. Incidents are the unit a status page declares, so they become signals
correlated by their own id. A component changing status becomes a signal only when enabled
(``components``): a status page that opens an incident also flips its components, and both
would otherwise declare the same outage twice. Scheduled maintenance is not an outage.
The API's ``incidents.json`` and ``incidents/unresolved.json`` list incidents of the same shape.
"""

from __future__ import annotations

from broadcaster.domain.incidents import Severity
from broadcaster.domain.payloads import Fields, load_object
from broadcaster.domain.signals import Delivery, Signal, SignalState, Source, digest

_WHAT = Source.STATUSPAGE.value
_OPEN = ("investigating", "identified", "monitoring")
_CLOSED = ("resolved", "postmortem")
_MAINTENANCE = ("scheduled", "in_progress", "verifying", "completed")
_IMPACTS = {
    "critical": Severity.CRITICAL,
    "major": Severity.MAJOR,
    "minor": Severity.MINOR,
    "none": Severity.MINOR,
}
_COMPONENT = {
    "major_outage": Severity.CRITICAL,
    "partial_outage": Severity.MAJOR,
    "degraded_performance": Severity.MINOR,
}
_COMPONENT_STATES = (*_COMPONENT, "operational", "under_maintenance")


def parse_statuspage_webhook(body: bytes, components: bool = False) -> Delivery:
    top = Fields(load_object(body, _WHAT), "", _WHAT)
    page = top.child("page").text("id")
    if "incident" in top.data:
        incident = top.child("incident")
        signal = incident_signal(incident, page)
        newest = incident.optional_items("incident_updates")
        key = digest(
            incident.data["id"],
            newest[0].text("id") if newest else None,
            incident.data["status"],
        )
        return Delivery(Source.STATUSPAGE, key, _some(signal), ignored=int(signal is None))
    if "component_update" in top.data:
        update = top.child("component_update")
        key = digest("component", update.text("id"))
        signal = component_signal(update, top.child("component"), page)
        if signal is None or not components:
            return Delivery(Source.STATUSPAGE, key, ignored=1)
        return Delivery(Source.STATUSPAGE, key, (signal,))
    top.fail("", "expected an incident or a component_update notification")


def parse_statuspage_incidents(body: bytes) -> list[Signal]:
    """Every incident of an ``incidents.json`` or ``incidents/unresolved.json`` answer."""
    top = Fields(load_object(body, _WHAT), "", _WHAT)
    page = top.child("page").text("id")
    signals = (incident_signal(item, page) for item in top.items("incidents"))
    return [signal for signal in signals if signal is not None]


def incident_signal(incident: Fields, page: str) -> Signal | None:
    """One incident; None for scheduled maintenance."""
    incident_id = incident.text("id")
    status = incident.choice("status", (*_OPEN, *_CLOSED, *_MAINTENANCE))
    impact = incident.choice("impact", (*_IMPACTS, "maintenance"))
    created = incident.time("created_at")
    started = incident.optional_time("started_at") or created
    resolved_at = incident.optional_time("resolved_at") or incident.optional_time("updated_at")
    updates = incident.optional_items("incident_updates")
    latest = updates[0].optional_text("body") if updates else None
    if status in _MAINTENANCE or impact == "maintenance":
        return None
    closed = status in _CLOSED
    return Signal(
        source=Source.STATUSPAGE,
        fingerprint=incident_id,
        state=SignalState.RESOLVED if closed else SignalState.FIRING,
        title=incident.text("name"),
        started_at=started,
        labels={"statuspage_page": page, **_component_labels(incident)},
        severity=_IMPACTS[impact],
        summary=latest,
        ended_at=(resolved_at or created) if closed else None,
        group=incident_id,
        raw=incident.data,
    )


def component_signal(update: Fields, component: Fields, page: str) -> Signal | None:
    """A component's new status; None while it is under maintenance."""
    component_id = update.text("component_id")
    new_status = update.choice("new_status", _COMPONENT_STATES)
    at = update.time("created_at")
    name = component.text("name")
    if new_status == "under_maintenance":
        return None
    operational = new_status == "operational"
    return Signal(
        source=Source.STATUSPAGE,
        fingerprint=f"component:{component_id}",
        state=SignalState.RESOLVED if operational else SignalState.FIRING,
        title=name,
        started_at=at,
        labels={"statuspage_page": page, "component": name},
        severity=None if operational else _COMPONENT[new_status],
        ended_at=at if operational else None,
        group=f"component:{component_id}",
        raw={"component_update": update.data, "component": component.data},
    )


def _component_labels(incident: Fields) -> dict[str, str]:
    """``component`` when the incident names exactly one (policy rules can match it)."""
    names = [item.text("name") for item in incident.optional_items("components")]
    if len(names) == 1:
        return {"component": names[0]}
    return {"components": ", ".join(names)} if names else {}


def _some(signal: Signal | None) -> tuple[Signal, ...]:
    return () if signal is None else (signal,)
