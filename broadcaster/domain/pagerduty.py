"""PagerDuty v3 webhook bodies into signals (reference: feeds.md §3).

A body is one event. Only events about an incident's state matter here: ``data.type`` is
``incident`` and ``data.status`` says triggered/acknowledged (firing) or resolved. Notes,
status updates, ``pagey.ping`` and service events are read and ignored. A resolution by
merging into another incident is not a recovery: the outage goes on under the other incident.
PagerDuty retries for up to 48 h with the same ``X-Webhook-Id``, so that header is the dedup
key, and an event older than ``REPLAY_WINDOW`` cannot be a retry: it is refused as a replay.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from broadcaster.domain.incidents import Severity
from broadcaster.domain.payloads import Fields, PayloadError, load_object
from broadcaster.domain.signals import Delivery, Signal, SignalState, Source, digest

REPLAY_WINDOW = timedelta(hours=72)  # PagerDuty's 48 h of retries, plus a margin
_WHAT = Source.PAGERDUTY.value
_STATUSES = ("triggered", "acknowledged", "resolved")
_PRIORITIES = {"P1": Severity.CRITICAL, "P2": Severity.MAJOR}


class Replayed(PayloadError):
    """A correctly signed body that is too old to be a delivery or retry: a replay."""

    status = 403
    code = "replayed"


def parse_pagerduty(body: bytes, webhook_id: str | None, now: datetime) -> Delivery:
    event = Fields(load_object(body, _WHAT), "", _WHAT).child("event")
    event_id = event.text("id")
    event.text("event_type")
    occurred = event.time("occurred_at")
    if now - occurred > REPLAY_WINDOW:
        raise Replayed(
            "pagerduty event is older than any retry: refused as a replay",
            [f"event.occurred_at: {event.data['occurred_at']}"],
        )
    key = digest(webhook_id or event_id)
    data = event.child("data")
    if data.data.get("type") != "incident":
        return Delivery(Source.PAGERDUTY, key, ignored=1)
    signal = incident_signal(data, event.data["event_type"], occurred)
    if signal is None:
        return Delivery(Source.PAGERDUTY, key, ignored=1)
    return Delivery(Source.PAGERDUTY, key, (signal,))


def incident_signal(data: Fields, event_type: str, occurred: datetime) -> Signal | None:
    """The incident's state as a signal; None for a merge (not a recovery)."""
    incident_id = data.text("id")
    status = data.choice("status", _STATUSES)
    created = data.time("created_at")
    title = data.text("title")
    reason = data.optional_child("resolve_reason")
    if status == "resolved" and reason is not None and "merge" in str(reason.data.get("type")):
        return None
    labels = _labels(data)
    resolved = status == "resolved"
    return Signal(
        source=Source.PAGERDUTY,
        fingerprint=incident_id,
        state=SignalState.RESOLVED if resolved else SignalState.FIRING,
        title=title,
        # a reopened incident keeps its created_at: the reopening starts a new occurrence
        started_at=occurred if event_type == "incident.reopened" else created,
        labels=labels,
        severity=severity(labels.get("priority"), labels.get("urgency")),
        ended_at=occurred if resolved else None,
        group=incident_id,
        raw=data.data,
    )


def severity(priority: str | None, urgency: str | None) -> Severity:
    """P1 critical, P2 major, other priorities minor; without one, urgency high is major."""
    if priority:
        return _PRIORITIES.get(priority.upper(), Severity.MINOR)
    return Severity.MAJOR if urgency == "high" else Severity.MINOR


def _labels(data: Fields) -> dict[str, str]:
    labels: dict[str, str] = {}
    service = data.optional_child("service")
    if service is not None:
        labels["service"] = service.optional_text("summary") or ""
        labels["pagerduty_service"] = service.optional_text("id") or ""
    priority = data.optional_child("priority")
    if priority is not None:
        labels["priority"] = priority.optional_text("summary") or ""
    labels["urgency"] = data.optional_text("urgency") or ""
    return {k: v for k, v in labels.items() if v}
