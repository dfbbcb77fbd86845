"""The four signal receivers over HTTP against a real Redis: accept, dedupe, refuse precisely."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from broadcaster.adapters.redis_connection import connect
from broadcaster.adapters.signal_store import SignalStore
from broadcaster.config import RedisSettings
from broadcaster.metrics import REGISTRY
from broadcaster.web.webhooks_intake import INTAKE
from tests.conftest import PAYLOADS
from tests.intake.conftest import AM_TOKEN, STATUSPAGE_TOKEN, payload, post, snapshot

VECTORS = json.loads((PAYLOADS / "signature_vectors.json").read_text())
AM = {"Authorization": f"Bearer {AM_TOKEN}"}


def signals_total(source: str, outcome: str) -> float:
    value = REGISTRY.get_sample_value(
        "broadcaster_signals_total", {"source": source, "outcome": outcome}
    )
    return value or 0.0


async def test_an_alertmanager_group_is_recorded_once_per_alert(hooks, intake, redis_client):
    new_before = signals_total("alertmanager", "new")
    response = await post(hooks, "/webhooks/alertmanager", payload("alertmanager_firing.json"), AM)
    assert response.status == 202, await response.text()
    assert await response.json() == {
        "duplicate_delivery": False,
        "signals": {"new": 2, "duplicate": 0, "ignored": 0},
    }
    assert signals_total("alertmanager", "new") == new_before + 2
    groups = await intake.store.tracked()
    assert len(groups) == 2  # eu-west-1 and us-east-1 are two scopes of public-api
    jobs = await redis_client.zrange("ob:queue", 0, -1)
    # job ids: "<key prefix>:evaluate:<group>"
    assert sorted(j.decode().split(":")[2] for j in jobs) == sorted(groups)


async def test_a_resent_group_is_a_duplicate_and_changes_nothing(hooks, redis_client):
    body = payload("alertmanager_firing.json")
    await post(hooks, "/webhooks/alertmanager", body, AM)
    before = await snapshot(redis_client)
    dup_before = signals_total("alertmanager", "duplicate")
    again = await post(hooks, "/webhooks/alertmanager", body, AM)
    assert again.status == 200
    assert (await again.json())["duplicate_delivery"] is True
    assert signals_total("alertmanager", "duplicate") == dup_before + 2
    assert await snapshot(redis_client) == before


async def test_a_firing_group_carrying_a_resolved_alert_resolves_only_that_alert(hooks, intake):
    await post(hooks, "/webhooks/alertmanager", payload("alertmanager_firing.json"), AM)
    mixed = payload("alertmanager_firing.json")
    mixed["alerts"][1].update(status="resolved", endsAt="2026-11-24T03:39:00Z")
    response = await post(hooks, "/webhooks/alertmanager", mixed, AM)
    assert (await response.json())["signals"] == {"new": 1, "duplicate": 1, "ignored": 0}
    states = {}
    for group_hash in await intake.store.tracked():
        group, _ = await intake.store.load(group_hash)
        states.update({t.fingerprint: t.firing for t in group.tracks.values()})
    assert states == {"746ad72d3fd92f8f": True, "ec82ef90f87b7d83": False}


async def test_a_truncated_resolved_group_does_not_resolve_what_it_left_out(hooks, intake):
    await post(hooks, "/webhooks/alertmanager", payload("alertmanager_firing.json"), AM)
    capped = payload("alertmanager_resolved.json")
    capped["alerts"] = capped["alerts"][:1]
    capped["truncatedAlerts"] = 1
    response = await post(hooks, "/webhooks/alertmanager", capped, AM)
    assert response.status == 202
    firing = []
    for group_hash in await intake.store.tracked():
        group, _ = await intake.store.load(group_hash)
        firing += [t.fingerprint for t in group.tracks.values() if t.firing]
    assert firing == ["ec82ef90f87b7d83"]


@pytest.mark.parametrize(
    ("headers", "status", "code"),
    [
        ({}, 401, "credentials_missing"),
        ({"Authorization": "Bearer wrong-token"}, 403, "credentials_invalid"),
        ({"Authorization": "Basic YWxpY2U6c2VjcmV0"}, 403, "credentials_invalid"),
    ],
)
async def test_alertmanager_without_the_right_token_is_refused_and_nothing_stored(
    hooks, redis_client, headers, status, code
):
    before = await snapshot(redis_client)
    rejected = signals_total("alertmanager", "rejected")
    response = await post(
        hooks, "/webhooks/alertmanager", payload("alertmanager_firing.json"), headers
    )
    assert response.status == status
    assert (await response.json())["error"]["code"] == code
    assert signals_total("alertmanager", "rejected") == rejected + 1
    assert await snapshot(redis_client) == before


@pytest.mark.parametrize(
    ("body", "content_type", "status", "code"),
    [
        (b"{not json", "application/json", 400, "invalid_payload"),
        (b'{"version": "4"}', "application/json", 400, "invalid_payload"),
        (b"[]", "application/json", 400, "invalid_payload"),
        (json.dumps(payload("alertmanager_firing.json")).encode(), "text/plain", 415, None),
        (b"x" * (2 * 1024 * 1024 + 1), "application/json", 413, "body_too_large"),
    ],
)
async def test_bad_bodies_get_a_precise_4xx_and_store_nothing(
    hooks, redis_client, body, content_type, status, code
):
    before = await snapshot(redis_client)
    response = await post(
        hooks, "/webhooks/alertmanager", body, {**AM, "Content-Type": content_type}
    )
    assert response.status == status
    error = (await response.json())["error"]
    assert error["code"] == (code or "unsupported_media_type")
    assert error["message"]
    assert await snapshot(redis_client) == before


async def test_a_missing_field_is_named(hooks):
    body = payload("alertmanager_firing.json")
    del body["alerts"][1]["startsAt"]
    response = await post(hooks, "/webhooks/alertmanager", body, AM)
    assert (await response.json())["error"]["details"] == [
        "alerts[1].startsAt: required, an RFC 3339 time"
    ]


async def test_when_redis_is_down_the_sender_is_asked_to_retry(hooks, deps):
    dead = connect(RedisSettings(), "redis://127.0.0.1:1/0", socket_connect_timeout=0.5)
    service = hooks.app[INTAKE]
    service.store = SignalStore(dead, deps.keys, timedelta(days=1))
    try:
        response = await post(
            hooks, "/webhooks/alertmanager", payload("alertmanager_firing.json"), AM
        )
        assert response.status == 503
        assert (await response.json())["error"]["code"] == "unavailable"
    finally:
        await dead.aclose()


async def test_an_unknown_source_is_a_json_404(hooks):
    response = await post(hooks, "/webhooks/nagios", {"a": 1})
    assert response.status == 404
    assert (await response.json())["error"]["code"] == "not_found"


# --- Grafana ---------------------------------------------------------------------------------
GRAFANA = VECTORS["grafana_hmac"]


async def test_a_signed_grafana_notification_is_accepted(hooks):
    headers = GRAFANA["without_timestamp_header"]["headers"]
    response = await post(hooks, "/webhooks/grafana", GRAFANA["body"].encode(), headers)
    assert response.status == 202, await response.text()
    assert (await response.json())["signals"]["new"] == 2


@pytest.mark.parametrize(
    ("signature", "status"),
    [(None, 401), ("0" * 64, 403)],
)
async def test_an_unsigned_or_forged_grafana_notification_is_refused(
    hooks, redis_client, signature, status
):
    before = await snapshot(redis_client)
    headers = {"X-Grafana-Alerting-Signature": signature} if signature else {}
    response = await post(hooks, "/webhooks/grafana", GRAFANA["body"].encode(), headers)
    assert response.status == status
    assert await snapshot(redis_client) == before


async def test_grafana_no_data_alerts_are_ignored(make_settings, redis_url, aiohttp_client, clock):
    from broadcaster.bootstrap import build_deps
    from broadcaster.web.app import create_app

    settings = make_settings({"redis": {"url": redis_url}})
    body = payload("grafana_firing.json")
    for alert in body["alerts"]:
        alert["labels"]["alertname"] = "DatasourceNoData"
    async with build_deps(settings, redis_url, clock=clock) as deps:
        client = await aiohttp_client(create_app(deps))
        response = await post(client, "/webhooks/grafana", body)
        assert (await response.json())["signals"] == {"new": 0, "duplicate": 0, "ignored": 2}
        assert await client.app[INTAKE].store.tracked() == []


# --- PagerDuty -------------------------------------------------------------------------------
PD = VECTORS["pagerduty_v3"]


async def test_a_signed_pagerduty_event_is_accepted_and_its_retry_is_a_duplicate(hooks):
    response = await post(hooks, "/webhooks/pagerduty", PD["body"].encode(), PD["headers"])
    assert response.status == 202, await response.text()
    assert (await response.json())["signals"]["new"] == 1
    retry = await post(hooks, "/webhooks/pagerduty", PD["body"].encode(), PD["headers"])
    assert retry.status == 200
    assert (await retry.json())["duplicate_delivery"] is True


@pytest.mark.parametrize(
    ("signature", "status", "code"),
    [
        (None, 401, "credentials_missing"),
        ("v1=" + "0" * 64, 403, "credentials_invalid"),
        ("v0=" + PD["headers"]["X-PagerDuty-Signature"][3:], 403, "credentials_invalid"),
    ],
)
async def test_an_unsigned_or_forged_pagerduty_event_is_refused(
    hooks, redis_client, signature, status, code
):
    headers = {k: v for k, v in PD["headers"].items() if k != "X-PagerDuty-Signature"}
    if signature:
        headers["X-PagerDuty-Signature"] = signature
    before = await snapshot(redis_client)
    response = await post(hooks, "/webhooks/pagerduty", PD["body"].encode(), headers)
    assert response.status == status
    assert (await response.json())["error"]["code"] == code
    assert await snapshot(redis_client) == before


async def test_a_replayed_pagerduty_event_is_refused(hooks, clock, redis_client):
    clock.advance(days=4)
    before = await snapshot(redis_client)
    response = await post(hooks, "/webhooks/pagerduty", PD["body"].encode(), PD["headers"])
    assert response.status == 403
    assert (await response.json())["error"]["code"] == "replayed"
    assert await snapshot(redis_client) == before


async def test_the_pagerduty_test_ping_is_answered_without_declaring(hooks, intake):
    from broadcaster.domain.signatures import hmac_sha256_hex

    body = (PAYLOADS / "pagerduty_v3_pagey_ping.json").read_bytes()
    signature = "v1=" + hmac_sha256_hex(PD["secret_current"].encode(), body)
    headers = {"X-PagerDuty-Signature": signature, "X-Webhook-Id": "ping-1"}
    response = await post(hooks, "/webhooks/pagerduty", body, headers)
    assert response.status == 202
    assert (await response.json())["signals"] == {"new": 0, "duplicate": 0, "ignored": 1}
    assert await intake.store.tracked() == []


# --- Statuspage ------------------------------------------------------------------------------
async def test_statuspage_takes_its_token_in_the_path_or_the_query(hooks):
    body = payload("statuspage_webhook_incident_update.json")
    by_path = await post(hooks, f"/webhooks/statuspage/{STATUSPAGE_TOKEN}", body)
    assert by_path.status == 202
    assert (await by_path.json())["signals"]["new"] == 1
    by_query = await post(hooks, f"/webhooks/statuspage?token={STATUSPAGE_TOKEN}", body)
    assert by_query.status == 200  # the same notification again
    component = payload("statuspage_webhook_component_update.json")
    ignored = await post(hooks, f"/webhooks/statuspage/{STATUSPAGE_TOKEN}", component)
    assert (await ignored.json())["signals"]["ignored"] == 1


@pytest.mark.parametrize(("path", "status"), [("", 401), ("/wrong-token", 403), ("?token=x", 403)])
async def test_statuspage_without_the_right_token_is_refused(hooks, redis_client, path, status):
    before = await snapshot(redis_client)
    body = payload("statuspage_webhook_incident_update.json")
    response = await post(hooks, f"/webhooks/statuspage{path}", body)
    assert response.status == status
    assert await snapshot(redis_client) == before
