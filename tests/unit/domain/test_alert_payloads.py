"""Alertmanager and Grafana bodies: per-alert reading, dedup keys, precise refusals."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from broadcaster.domain.alert_payloads import (
    active_fingerprints,
    parse_alertmanager,
    parse_grafana,
)
from broadcaster.domain.payloads import PayloadError
from broadcaster.domain.signals import SignalState, Source
from tests.conftest import PAYLOADS


def payload(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((PAYLOADS / name).read_text())
    return data


def body(data: Any) -> bytes:
    return json.dumps(data).encode()


def refusal(parse, data) -> str:
    with pytest.raises(PayloadError) as caught:
        parse(body(data) if not isinstance(data, bytes) else data)
    return "; ".join([caught.value.message, *caught.value.details])


def test_a_firing_group_becomes_one_signal_per_alert():
    delivery = parse_alertmanager(body(payload("alertmanager_firing.json")))
    assert delivery.source is Source.ALERTMANAGER
    assert [s.fingerprint for s in delivery.signals] == ["746ad72d3fd92f8f", "ec82ef90f87b7d83"]
    first = delivery.signals[0]
    assert first.state is SignalState.FIRING
    assert first.title == "Some API requests fail"  # customer_impact, written for customers
    assert first.summary == "5xx ratio has been 11.8% for 10 minutes."
    assert first.labels["region"] == "eu-west-1"
    assert first.started_at == datetime(2026, 11, 24, 3, 33, 37, 482000, tzinfo=UTC)
    assert first.ended_at is None  # the zero endsAt of a firing alert means nothing
    assert first.group is None
    assert first.severity is None
    assert first.raw["fingerprint"] == "746ad72d3fd92f8f"
    assert delivery.truncated == 0
    assert delivery.ignored == 0


def test_a_resolved_group_carries_real_ends():
    delivery = parse_alertmanager(body(payload("alertmanager_resolved.json")))
    assert {s.state for s in delivery.signals} == {SignalState.RESOLVED}
    assert delivery.signals[0].ended_at == datetime(2026, 11, 24, 3, 52, 7, 118000, tzinfo=UTC)


def test_a_firing_message_may_carry_resolved_alerts_and_each_is_read_as_itself():
    mixed = payload("alertmanager_firing.json")
    mixed["alerts"][1]["status"] = "resolved"
    mixed["alerts"][1]["endsAt"] = "2026-11-24T03:50:00Z"
    states = [s.state for s in parse_alertmanager(body(mixed)).signals]
    assert states == [SignalState.FIRING, SignalState.RESOLVED]


def test_a_truncated_group_reports_what_was_left_out():
    capped = payload("alertmanager_resolved.json")
    capped["alerts"] = capped["alerts"][:1]
    capped["truncatedAlerts"] = 1
    delivery = parse_alertmanager(body(capped))
    assert delivery.truncated == 1
    assert [s.fingerprint for s in delivery.signals] == ["746ad72d3fd92f8f"]


def test_the_same_group_resent_has_the_same_key_and_a_change_another():
    firing = payload("alertmanager_firing.json")
    resent = copy.deepcopy(firing)
    resent["alerts"].reverse()
    resent["commonAnnotations"] = {}
    key = parse_alertmanager(body(firing)).key
    assert parse_alertmanager(json.dumps(resent, indent=2).encode()).key == key
    assert parse_alertmanager(body(payload("alertmanager_resolved.json"))).key != key
    other_receiver = {**firing, "receiver": "other"}
    assert parse_alertmanager(body(other_receiver)).key != key


def test_title_falls_back_to_summary_then_alertname_then_fingerprint():
    data = payload("alertmanager_firing.json")
    alert = data["alerts"][0]
    alert["annotations"] = {"summary": " API errors ", "customer_impact": " "}
    assert parse_alertmanager(body(data)).signals[0].title == "API errors"
    alert["annotations"] = {}
    assert parse_alertmanager(body(data)).signals[0].title == "APIHighErrorRate"
    assert parse_alertmanager(body(data)).signals[0].summary is None
    del alert["annotations"]
    alert["labels"] = {"service": "api"}
    assert parse_alertmanager(body(data)).signals[0].title == "746ad72d3fd92f8f"


def test_a_resolved_alert_with_a_zero_end_has_no_end():
    data = payload("alertmanager_resolved.json")
    data["alerts"][0]["endsAt"] = "0001-01-01T00:00:00Z"
    assert parse_alertmanager(body(data)).signals[0].ended_at is None


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda d: d.update(version="3"), "version: expected '4'"),
        (lambda d: d.pop("receiver"), "receiver: required, a non-empty string"),
        (lambda d: d.pop("groupKey"), "groupKey: required"),
        (lambda d: d.update(status="ok"), "status: expected one of firing|resolved"),
        (lambda d: d.update(truncatedAlerts=-1), "truncatedAlerts: expected a non-negative"),
        (lambda d: d.update(truncatedAlerts=True), "truncatedAlerts: expected a non-negative"),
        (lambda d: d.update(alerts={}), "alerts: required, a list"),
        (lambda d: d["alerts"].append(5), "alerts[2]: expected an object"),
        (lambda d: d["alerts"][0].pop("fingerprint"), "alerts[0].fingerprint: required"),
        (lambda d: d["alerts"][1].update(startsAt="soon"), "alerts[1].startsAt: expected an RFC"),
        (lambda d: d["alerts"][1].update(startsAt=None), "alerts[1].startsAt: required"),
        (
            lambda d: d["alerts"][1].update(startsAt="2026-11-24T03:00:00"),
            "alerts[1].startsAt: expected an RFC 3339 time with offset",
        ),
        (lambda d: d["alerts"][0].update(endsAt=7), "alerts[0].endsAt: expected an RFC"),
        (lambda d: d["alerts"][0].update(labels=["a"]), "alerts[0].labels: expected an object"),
        (lambda d: d["alerts"][0]["labels"].update(n=1), "alerts[0].labels: expected an object"),
        (lambda d: d["alerts"][0].update(status=None), "alerts[0].status: expected one of"),
    ],
)
def test_a_body_that_breaks_the_schema_is_refused_naming_the_field(change, problem):
    data = payload("alertmanager_firing.json")
    change(data)
    assert problem in refusal(parse_alertmanager, data)


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        (b"{not json", "body is not valid JSON"),
        (b"\xff\xfe", "body is not valid JSON"),
        (b"[1, 2]", "expected a JSON object, got list"),
        (b"null", "expected a JSON object, got NoneType"),
    ],
)
def test_a_body_that_is_not_a_json_object_is_refused(raw, problem):
    assert problem in refusal(parse_alertmanager, raw)


def test_grafana_is_read_like_alertmanager_and_query_alerts_are_counted_not_used():
    data = payload("grafana_firing.json")
    data["alerts"][1]["labels"]["alertname"] = "DatasourceNoData"
    data["alerts"][1]["values"] = None
    delivery = parse_grafana(body(data))
    assert delivery.source is Source.GRAFANA
    assert [s.title for s in delivery.signals] == ["Checkout success rate is 96.4% in eu-west-1"]
    assert delivery.ignored == 1
    everything = parse_grafana(body(data), ignore_alertnames=())
    assert len(everything.signals) == 2
    assert everything.ignored == 0


def test_grafana_refuses_an_alertmanager_body_and_a_custom_template_body():
    assert "version: expected '1'" in refusal(parse_grafana, payload("alertmanager_firing.json"))
    assert "version: expected '1'" in refusal(parse_grafana, {"text": "custom template"})


def test_grafana_org_is_part_of_the_key():
    data = payload("grafana_resolved.json")
    key = parse_grafana(body(data)).key
    assert parse_grafana(body({**data, "orgId": 2})).key != key


def test_alertmanager_api_answer_lists_fingerprints_of_alerts_still_firing():
    alerts = [
        {"fingerprint": "746ad72d3fd92f8f", "labels": {}, "status": {"state": "suppressed"}},
        {"fingerprint": "1c7d2a90be34f6e8", "labels": {}, "status": {"state": "active"}},
    ]
    assert active_fingerprints(body(alerts)) == {"746ad72d3fd92f8f", "1c7d2a90be34f6e8"}
    assert active_fingerprints(b"[]") == frozenset()
    assert "alerts: required, a list" in refusal(active_fingerprints, {"alerts": []})
    assert "alerts[0].fingerprint" in refusal(active_fingerprints, [{}])
