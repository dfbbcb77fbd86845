"""Statuspage webhooks and API answers: incidents declare, maintenance does not."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from broadcaster.domain.incidents import Severity
from broadcaster.domain.payloads import PayloadError
from broadcaster.domain.signals import SignalState, Source
from broadcaster.domain.statuspage import parse_statuspage_incidents, parse_statuspage_webhook
from tests.conftest import PAYLOADS


def payload(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((PAYLOADS / name).read_text())
    return data


def webhook(data: dict[str, Any], components: bool = False):
    return parse_statuspage_webhook(json.dumps(data).encode(), components)


def incident_webhook() -> dict[str, Any]:
    return payload("statuspage_webhook_incident_update.json")


def test_an_incident_notification_fires_with_its_impact_as_severity():
    delivery = webhook(incident_webhook())
    (signal,) = delivery.signals
    assert delivery.source is Source.STATUSPAGE
    assert signal.state is SignalState.FIRING
    assert signal.fingerprint == signal.group == "r5t9y3u7i1op"
    assert signal.title == "Elevated API error rates in Europe"
    assert signal.severity is Severity.MAJOR
    assert signal.summary.startswith("We have identified a faulty deployment")
    assert signal.started_at == datetime(2026, 11, 24, 3, 38, 44, 210000, tzinfo=UTC)
    assert signal.labels == {
        "statuspage_page": "x7k2p9q4r1zt",
        "components": "Public API, Dashboard",
    }


def test_the_dedup_key_follows_the_newest_update_and_the_status():
    data = incident_webhook()
    key = webhook(data).key
    assert webhook(incident_webhook()).key == key
    data["incident"]["status"] = "monitoring"
    assert webhook(data).key != key
    data = incident_webhook()
    data["incident"]["incident_updates"].pop(0)
    assert webhook(data).key != key


def test_a_resolved_incident_ends_at_its_resolution_and_one_component_is_a_label():
    data = incident_webhook()
    data["incident"].update(status="resolved", resolved_at="2026-11-24T04:10:00Z")
    data["incident"]["components"] = data["incident"]["components"][:1]
    (signal,) = webhook(data).signals
    assert signal.state is SignalState.RESOLVED
    assert signal.ended_at == datetime(2026, 11, 24, 4, 10, tzinfo=UTC)
    assert signal.labels["component"] == "Public API"


def test_a_postmortem_without_times_ends_at_its_last_update_or_creation():
    data = incident_webhook()
    data["incident"].update(status="postmortem", resolved_at=None)
    (signal,) = webhook(data).signals
    assert signal.ended_at == datetime(2026, 11, 24, 3, 48, 19, 760000, tzinfo=UTC)
    data["incident"].pop("updated_at")
    data["incident"].pop("components")
    data["incident"]["incident_updates"] = []
    (signal,) = webhook(data).signals
    assert signal.ended_at == datetime(2026, 11, 24, 3, 38, 44, 210000, tzinfo=UTC)
    assert signal.summary is None
    assert signal.labels == {"statuspage_page": "x7k2p9q4r1zt"}


@pytest.mark.parametrize(("field", "value"), [("impact", "maintenance"), ("status", "scheduled")])
def test_maintenance_is_not_an_outage(field, value):
    data = incident_webhook()
    data["incident"][field] = value
    delivery = webhook(data)
    assert delivery.signals == ()
    assert delivery.ignored == 1


def test_component_updates_declare_only_when_enabled():
    data = payload("statuspage_webhook_component_update.json")
    assert webhook(data).signals == ()
    assert webhook(data).ignored == 1
    (signal,) = webhook(data, components=True).signals
    assert signal.fingerprint == signal.group == "component:b4n8c2v6x0mq"
    assert signal.state is SignalState.FIRING
    assert signal.severity is Severity.MAJOR
    assert signal.labels == {"statuspage_page": "x7k2p9q4r1zt", "component": "Public API"}
    assert webhook(data).key == webhook(data, components=True).key


def test_a_component_back_to_operational_resolves_and_maintenance_is_ignored():
    data = payload("statuspage_webhook_component_update.json")
    data["component_update"]["new_status"] = "operational"
    (signal,) = webhook(data, components=True).signals
    assert signal.state is SignalState.RESOLVED
    assert signal.ended_at == signal.started_at
    assert signal.severity is None
    data["component_update"]["new_status"] = "under_maintenance"
    assert webhook(data, components=True).ignored == 1


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ({"page": {"id": "p"}}, "expected an incident or a component_update"),
        ({"incident": {}}, "page: expected an object"),
        ({"page": {"id": "p"}, "incident": {"id": "i"}}, "incident.status: expected one of"),
        (
            {"page": {"id": "p"}, "component_update": {"id": "c", "component_id": "x"}},
            "component: expected an object",
        ),
        (
            {
                "page": {"id": "p"},
                "component_update": {"id": "c", "component_id": "x"},
                "component": {"name": "API"},
            },
            "component_update.new_status: expected one of",
        ),
    ],
)
def test_malformed_notifications_are_refused(data, problem):
    with pytest.raises(PayloadError) as caught:
        webhook(data)
    assert any(problem in d for d in caught.value.details)


def test_api_answers_list_incidents_without_maintenance():
    data = payload("statuspage_incidents.json")
    maintenance = dict(data["incidents"][0], id="m1", impact="maintenance", status="in_progress")
    data["incidents"].append(maintenance)
    signals = parse_statuspage_incidents(json.dumps(data).encode())
    assert [s.fingerprint for s in signals] == ["r5t9y3u7i1op"]
    # the API carries started_at, which wins over created_at
    assert signals[0].started_at == datetime(2026, 11, 24, 3, 33, tzinfo=UTC)
