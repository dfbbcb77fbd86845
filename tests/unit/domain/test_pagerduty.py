"""PagerDuty v3 events: incident states become signals, everything else is read and ignored."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from broadcaster.domain.incidents import Severity
from broadcaster.domain.pagerduty import Replayed, parse_pagerduty, severity
from broadcaster.domain.payloads import PayloadError
from broadcaster.domain.signals import SignalState, Source
from tests.conftest import PAYLOADS

NOW = datetime(2026, 11, 24, 4, 0, tzinfo=UTC)
WEBHOOK_ID = "a8f2c4e6-1b3d-4f5a-9c7e-0d2b4f6a8c1e"


def event(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((PAYLOADS / f"pagerduty_v3_{name}.json").read_text())
    return data


def parse(data: dict[str, Any], webhook_id: str | None = WEBHOOK_ID, now: datetime = NOW):
    return parse_pagerduty(json.dumps(data).encode(), webhook_id, now)


def test_a_triggered_incident_fires_with_its_priority_as_severity():
    delivery = parse(event("incident_triggered"))
    (signal,) = delivery.signals
    assert delivery.source is Source.PAGERDUTY
    assert signal.state is SignalState.FIRING
    assert signal.fingerprint == signal.group == "Q3TQ8ZL2W5N7RB"
    assert signal.title == "Public API 5xx ratio above 5% (eu-west-1, us-east-1)"
    assert signal.started_at == datetime(2026, 11, 24, 3, 34, 2, tzinfo=UTC)
    assert signal.severity is Severity.CRITICAL
    assert signal.labels == {
        "service": "Public API",
        "pagerduty_service": "PX7K2MD",
        "priority": "P1",
        "urgency": "high",
    }


def test_a_resolved_incident_ends_when_the_event_occurred():
    (signal,) = parse(event("incident_resolved")).signals
    assert signal.state is SignalState.RESOLVED
    assert signal.ended_at == datetime(2026, 11, 24, 3, 52, 31, 905000, tzinfo=UTC)


def test_a_merge_is_not_a_recovery():
    merged = event("incident_resolved")
    merged["event"]["data"]["resolve_reason"] = {
        "type": "merge_resolve_reason",
        "incident": {"id": "Q0OTHER", "type": "incident_reference"},
    }
    delivery = parse(merged)
    assert delivery.signals == ()
    assert delivery.ignored == 1


def test_a_reopened_incident_is_a_new_occurrence_from_the_reopening():
    reopened = event("incident_triggered")
    reopened["event"]["event_type"] = "incident.reopened"
    reopened["event"]["occurred_at"] = "2026-11-24T03:58:00Z"
    (signal,) = parse(reopened).signals
    assert signal.started_at == datetime(2026, 11, 24, 3, 58, tzinfo=UTC)


@pytest.mark.parametrize("name", ["pagey_ping", "incident_status_update_published"])
def test_pings_and_status_updates_are_read_and_ignored(name):
    delivery = parse(event(name))
    assert delivery.signals == ()
    assert delivery.ignored == 1


def test_retries_share_the_webhook_id_key_and_the_event_id_is_the_fallback():
    triggered = event("incident_triggered")
    assert parse(triggered).key == parse(triggered, WEBHOOK_ID).key
    assert parse(triggered, None).key != parse(triggered).key
    assert parse(triggered, None).key == parse(copy.deepcopy(triggered), None).key


def test_an_event_older_than_any_retry_is_a_replay():
    late = NOW + timedelta(hours=73)
    with pytest.raises(Replayed) as caught:
        parse(event("incident_triggered"), now=late)
    assert caught.value.status == 403
    assert parse(event("incident_triggered"), now=NOW + timedelta(hours=47)).signals


def test_minimal_incident_data_is_enough():
    minimal = {
        "event": {
            "id": "E1",
            "event_type": "incident.acknowledged",
            "occurred_at": "2026-11-24T03:40:00Z",
            "data": {
                "id": "Q1",
                "type": "incident",
                "status": "acknowledged",
                "created_at": "2026-11-24T03:34:02Z",
                "title": "Checkout down",
                "urgency": "low",
            },
        }
    }
    (signal,) = parse(minimal).signals
    assert signal.state is SignalState.FIRING
    assert signal.labels == {"urgency": "low"}
    assert signal.severity is Severity.MINOR


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda e: e.pop("event"), "event: expected an object"),
        (lambda e: e["event"].pop("id"), "event.id: required"),
        (lambda e: e["event"].update(event_type=3), "event.event_type: required"),
        (lambda e: e["event"].update(occurred_at="x"), "event.occurred_at: expected an RFC"),
        (lambda e: e["event"].update(data=[]), "event.data: expected an object"),
        (lambda e: e["event"]["data"].update(status="open"), "event.data.status: expected one"),
        (lambda e: e["event"]["data"].pop("title"), "event.data.title: required"),
        (lambda e: e["event"]["data"].update(service=1), "event.data.service: expected an obj"),
        (lambda e: e["event"]["data"].update(urgency=1), "event.data.urgency: expected a str"),
    ],
)
def test_a_malformed_event_is_refused_naming_the_field(change, problem):
    data = event("incident_triggered")
    change(data)
    with pytest.raises(PayloadError) as caught:
        parse(data)
    assert any(d.startswith(problem) for d in caught.value.details)


@pytest.mark.parametrize(
    ("priority", "urgency", "expected"),
    [
        ("P1", None, Severity.CRITICAL),
        ("p2", "low", Severity.MAJOR),
        ("P4", "high", Severity.MINOR),
        (None, "high", Severity.MAJOR),
        (None, "low", Severity.MINOR),
        (None, None, Severity.MINOR),
    ],
)
def test_severity_from_priority_else_urgency(priority, urgency, expected):
    assert severity(priority, urgency) is expected
