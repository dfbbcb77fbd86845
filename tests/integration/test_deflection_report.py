"""Contacts from other channels, the report's deflection, its chart, delivery times and the
final estimate, against a real Redis and the real app (no worker: notices are planned here)."""

from __future__ import annotations

import dataclasses
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from typing import Any

from broadcaster.adapters.deliveries import NoticeAudience
from broadcaster.demo_data import sample_customers
from broadcaster.domain.templates import Kind
from broadcaster.domain.timefmt import format_rfc3339
from broadcaster.metrics import REGISTRY
from broadcaster.services.deflection import finalize_due
from tests.integration.test_whatsapp_webhook import envelope, signed


def finalized(method: str) -> float:
    value = REGISTRY.get_sample_value("broadcaster_deflection_finalized_total", {"method": method})
    return value or 0.0


def at(delta: timedelta = timedelta()) -> str:
    return format_rfc3339(datetime.now(UTC) + delta) or ""


async def notice(api, deps, holdout_percent: float | None) -> tuple[str, str, NoticeAudience]:
    """Declare over 400 sample customers and plan the notice: (incident, broadcast, lists)."""
    await deps.directory.upsert(sample_customers(400))
    body: dict[str, Any] = {
        "title": "Fibre cut",
        "segments": ["fiber"],
        "labels": {"region": "jkt-selatan"},
    }
    if holdout_percent is not None:
        body["holdout_percent"] = holdout_percent
    incident = await (await api.post("/api/v1/incidents", json=body)).json()
    broadcast = await deps.planner.plan(incident["id"], Kind.NOTICE, "r1")
    return incident["id"], broadcast.id, await deps.deliveries.audience(broadcast.id)


async def customer_ids(deps, ordinals: list[int]) -> list[str]:
    return [c.customer_id for c in await deps.directory.get_many(ordinals) if c is not None]


async def test_contacts_from_other_channels_count_per_group_with_intervals(api, deps):
    incident_id, _, audience = await notice(api, deps, holdout_percent=30)
    assert audience.held, "a 30 % holdout of the audience"
    notified = await customer_ids(deps, audience.notified[:3])
    held = await customer_ids(deps, audience.held[:2])
    calls = [
        {"channel": "voice", "customer_id": c, "time": at(), "id": f"call-{c}"} for c in notified
    ]
    calls.append({"channel": "voice", "customer_id": notified[0], "time": at()})  # again
    tickets = [
        {"channel": "helpdesk", "customer_id": c, "time": at(), "topic": "outage"} for c in held
    ]
    batch = {
        "contacts": [*calls, *tickets, {"channel": "email", "phone": "+15550000000", "time": at()}]
    }
    answer = await api.post("/api/v1/contacts", json=batch)
    assert answer.status == 200, await answer.text()
    assert await answer.json() == {"recorded": 6, "duplicates": 0, "unknown_customers": [6]}
    replay = await (await api.post("/api/v1/contacts", json={"contacts": calls[:1]})).json()
    assert replay == {"recorded": 0, "duplicates": 1, "unknown_customers": []}

    report = await (await api.get(f"/api/v1/incidents/{incident_id}/report")).json()
    deflection = report["deflection"]
    assert deflection["method"] == "holdout"
    assert deflection["final"] is False
    assert deflection["notified"]["customers"] == len(audience.notified)
    assert deflection["notified"]["contacting"] == 3
    assert deflection["notified"]["contacts"] == 4
    assert deflection["holdout"]["contacting"] == 2
    low, high = deflection["holdout"]["ci"]
    assert low < deflection["holdout"]["per_1000"] < high
    assert deflection["contacts"]["by_channel"] == {"helpdesk": 2, "voice": 4}
    assert deflection["contacts"]["by_topic"] == {"outage": 2}
    expected = (2 / len(audience.held) - 3 / len(audience.notified)) * len(audience.notified)
    assert deflection["deflected"]["estimate"] == round(expected, 2)
    assert report["messages"]["reply"] == {
        "queued": 0,
        "sent": 0,
        "delivered": 0,
        "read": 0,
        "failed": 0,
        "skipped": 0,
    }

    chart = await api.get(f"/api/v1/incidents/{incident_id}/report.svg")
    assert chart.status == 200
    assert chart.content_type == "image/svg+xml"
    root = ET.fromstring(await chart.text())
    ids = {e.attrib.get("id") for e in root.iter("{http://www.w3.org/2000/svg}polyline")}
    assert ids == {"series-notified", "series-holdout", "series-delivered"}


async def test_a_bad_batch_records_nothing_and_the_api_needs_a_token(api, deps, aiohttp_client):
    incident_id, _, _ = await notice(api, deps, holdout_percent=None)
    good = {"channel": "chat", "customer_id": "C000000", "time": at()}
    bad = {"contacts": [good, {**good, "time": at(timedelta(hours=2))}]}
    refused = await api.post("/api/v1/contacts", json=bad)
    assert refused.status == 400
    error = (await refused.json())["error"]
    assert error["details"] == ["contacts[1].time: in the future"]
    report = await (await api.get(f"/api/v1/incidents/{incident_id}/report")).json()
    assert report["deflection"]["contacts"]["total"] == 0
    anonymous = await aiohttp_client(api.server.app)
    assert (await anonymous.post("/api/v1/contacts", json={"contacts": [good]})).status == 401
    assert (await anonymous.get(f"/api/v1/incidents/{incident_id}/report.svg")).status == 401


async def test_delivery_webhooks_time_each_notice_so_contacts_split_before_and_after(api, deps):
    incident_id, broadcast_id, audience = await notice(api, deps, holdout_percent=None)
    now = int(datetime.now(UTC).timestamp())
    statuses = [
        {
            "id": f"wamid.{i}",
            "status": "delivered" if i % 2 else "read",
            "timestamp": str(now - 30),
            "recipient_id": "62812",
            "biz_opaque_callback_data": f"{broadcast_id}|{i}|1",
        }
        for i in range(4)
    ]
    # a later duplicate cannot move a delivery time, an update broadcast is not timed
    statuses.append({**statuses[0], "timestamp": str(now)})
    statuses.append({**statuses[1], "biz_opaque_callback_data": f"{incident_id}-update-r2|1|1"})
    body = envelope(statuses)
    assert (await api.post("/webhooks/whatsapp", data=body, headers=signed(body))).status == 200
    timed = (await deps.deliveries.audience(broadcast_id)).delivered_ms
    assert timed == {audience.notified[i]: (now - 30) * 1000 for i in range(4)}

    reached = await customer_ids(deps, audience.notified[:2])
    waiting = await customer_ids(deps, audience.notified[5:6])
    contacts = [{"channel": "voice", "customer_id": c, "time": at()} for c in reached + waiting]
    await api.post("/api/v1/contacts", json={"contacts": contacts})
    report = await (await api.get(f"/api/v1/incidents/{incident_id}/report")).json()
    timing = report["deflection"]["delivery_timing"]
    assert timing["after_delivery"]["contacting"] == 2
    assert timing["before_delivery"]["contacting"] == 1
    assert report["deflection"]["method"] == "none", "no holdout and no contact history"
    assert report["deflection"]["timeline"]["delivered_share"][-1] == round(
        4 / len(audience.notified), 4
    )


async def test_without_holdout_the_same_hours_of_earlier_weeks_are_the_baseline(api, deps):
    incident_id, _, audience = await notice(api, deps, holdout_percent=None)
    now = datetime.now(UTC)
    weeks_ago = int((now - timedelta(days=15)).timestamp() * 1000)
    week = 7 * 86_400_000
    started = await deps.incident_store.get(incident_id)
    in_window = int(started.started_at.timestamp() * 1000) + 1
    # a log that has been recording for 15 days: two earlier weeks are covered, not four
    for ordinal in audience.notified[:4]:
        await deps.contacts.record(ordinal, in_window - week, "voice", now_ms=weeks_ago)
    await deps.contacts.record(audience.notified[0], in_window - 2 * week, "chat", now_ms=weeks_ago)
    await deps.contacts.record(audience.notified[0], in_window - 5 * 86_400_000, "chat")
    report = await (await api.get(f"/api/v1/incidents/{incident_id}/report")).json()
    deflection = report["deflection"]
    assert deflection["method"] == "baseline"
    baseline = deflection["baseline"]
    assert len(baseline["windows"]) == 2
    assert baseline["customers"] == 2 * len(audience.notified)
    assert baseline["contacting"] == 5
    assert deflection["deflected"]["estimate"] > 0, "nobody wrote during the incident"


async def test_the_estimate_is_final_once_the_window_closed(api, deps):
    incident_id, _, audience = await notice(api, deps, holdout_percent=25)
    ids = await customer_ids(deps, audience.held[:1])
    await api.post(
        "/api/v1/contacts",
        json={"contacts": [{"channel": "voice", "customer_id": ids[0], "time": at()}]},
    )
    await api.post(f"/api/v1/incidents/{incident_id}/resolve", json={})
    assert await finalize_due(deps) == 0, "the tail after resolution has not passed"
    later = dataclasses.replace(deps, clock=lambda: datetime.now(UTC) + timedelta(hours=2))
    before = finalized("holdout")
    assert await finalize_due(later) == 1
    assert await finalize_due(later) == 0, "stored once"
    assert finalized("holdout") == before + 1
    await api.post(
        "/api/v1/contacts",
        json={"contacts": [{"channel": "voice", "customer_id": ids[0], "time": at()}]},
    )
    deflection = (await (await api.get(f"/api/v1/incidents/{incident_id}/report")).json())[
        "deflection"
    ]
    assert deflection["final"] is True
    assert deflection["holdout"]["contacts"] == 1, "the final estimate no longer changes"
