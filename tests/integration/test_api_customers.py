"""Customer directory API: batch upsert (all or nothing), erasure, segments and audiences."""

from __future__ import annotations

from typing import Any

from broadcaster.adapters.token_store import Role, TokenStore
from broadcaster.domain.templates import Kind
from broadcaster.policies import price_table


def customer(i: int, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "customer_id": f"A{i:03d}",
        "phone": f"0812345670{i:02d}",
        "opt_in": True,
        "name": f"Customer {i}",
        "tier": ["platinum", "gold", "silver", "standard"][i % 4],
        "attributes": {"region": "bandung" if i % 2 else "surabaya", "service": "fiber"},
    }
    body.update(changes)
    return body


async def test_batch_upsert_reports_each_customer_and_last_duplicate_wins(api):
    batch = [customer(1), customer(2), customer(1, name="Later")]
    response = await api.post("/api/v1/customers", json=batch)
    assert response.status == 200, await response.text()
    body = await response.json()
    assert (body["created"], body["updated"], body["unchanged"]) == (2, 0, 0)
    assert [r["result"] for r in body["results"]] == ["superseded", "created", "created"]

    again = await api.post("/api/v1/customers", json={"customers": [customer(2), customer(3)]})
    assert [r["result"] for r in (await again.json())["results"]] == ["unchanged", "created"]
    changed = await api.post("/api/v1/customers", json=[customer(3, tier="gold")])
    assert (await changed.json())["results"] == [{"customer_id": "A003", "result": "updated"}]

    shown = await (await api.get("/api/v1/customers/A001")).json()
    assert shown == {
        "customer_id": "A001",
        "phone": "+6281234567001",
        "opt_in": True,
        "opted_out": False,
        "name": "Later",
        "language": "id",
        "timezone": "Asia/Jakarta",
        "tier": "gold",
        "attributes": {"region": "bandung", "service": "fiber"},
    }


async def test_one_invalid_customer_refuses_the_whole_batch(api, redis_client):
    batch = [customer(1), customer(2, phone="123"), customer(3, tier="diamond", oops=1)]
    response = await api.post("/api/v1/customers", json=batch)
    assert response.status == 400
    error = (await response.json())["error"]
    assert error["message"] == "2 of 3 customers are invalid; nothing was written"
    assert error["details"] == [
        "[1] phone: '123' is not a valid number (national numbers are read as ID)",
        '[2] oops: unknown key; other attributes go under "attributes"',
    ]
    assert await redis_client.keys("*") == []


async def test_malformed_batches_are_400(api, deps, redis_client):
    too_many = [customer(i) for i in range(deps.settings.customers.api_batch_limit + 1)]
    for body in ([], {"customers": "x"}, "C1", too_many):
        response = await api.post("/api/v1/customers", json=body)
        assert response.status == 400, body
    assert (await api.get("/api/v1/customers/nobody")).status == 404
    assert await redis_client.keys("*") == []


async def test_erasure_by_id_and_in_batches(api, deps):
    await api.post("/api/v1/customers", json=[customer(i) for i in range(1, 5)])
    erased = await api.delete("/api/v1/customers/A001")
    assert (await erased.json()) == {"customer_id": "A001", "erased": True}
    assert (await api.delete("/api/v1/customers/A001")).status == 404
    assert await deps.directory.get("A001") is None
    assert await deps.directory.find_by_phone("+6281234567001") is None

    batch = await api.post("/api/v1/customers/delete", json={"customer_ids": ["A002", "A009"]})
    assert await batch.json() == {"erased": ["A002"], "not_found": ["A009"]}
    bad: list[Any] = [
        {},
        {"customer_ids": []},
        {"customer_ids": [""]},
        {"customer_ids": "A003"},
        {"customer_ids": ["A003"], "dry_run": True},
        ["A003"],
    ]
    for body in bad:
        assert (await api.post("/api/v1/customers/delete", json=body)).status == 400
    assert await deps.directory.get("A003") is not None, "a refused erasure erased nobody"
    unknown = await api.post("/api/v1/customers/delete", json={"customer_ids": [], "x": 1})
    assert (await unknown.json())["error"]["details"] == ["x: unknown field"]


async def test_customer_writes_need_the_admin_role(api, deps):
    token = await TokenStore(deps.redis, deps.keys).create("ops", Role.COMMANDER)
    headers = {"Authorization": f"Bearer {token}"}
    assert (await api.post("/api/v1/customers", json=[customer(1)], headers=headers)).status == 403
    assert (await api.delete("/api/v1/customers/A001", headers=headers)).status == 403
    assert (await api.get("/api/v1/segments", headers=headers)).status == 200


async def test_segments_and_a_segment_audience_with_alert_labels(api):
    await api.post("/api/v1/customers", json=[customer(i) for i in range(1, 9)])
    segments = (await (await api.get("/api/v1/segments")).json())["segments"]
    assert {s["name"] for s in segments} == {"fiber", "jkt-selatan-fiber", "mobile-data"}
    response = await api.get("/api/v1/segments/fiber/audience?label=region=bandung&sample=2")
    body = await response.json()
    assert body["rule"] == "service = fiber and region = bandung"
    assert (body["affected"], body["eligible"]) == (4, 4)
    assert body["by_tier"] == {"platinum": 0, "gold": 2, "silver": 0, "standard": 2}
    assert body["sample"] == [
        {"phone": "+62812****7001", "tier": "gold", "language": "id"},
        {"phone": "+62812****7005", "tier": "gold", "language": "id"},
    ]
    assert (await api.get("/api/v1/segments/nope/audience")).status == 404
    assert (await api.get("/api/v1/segments/fiber/audience?label=region")).status == 400
    assert (await api.get("/api/v1/segments/fiber/audience?sample=x")).status == 400


async def test_incident_audience_is_snapshotted_and_a_widened_scope_adds_only_new_customers(
    api, deps
):
    await api.post("/api/v1/customers", json=[customer(i) for i in range(1, 9)])
    declared = await api.post(
        "/api/v1/incidents",
        json={"title": "Fibre cut", "segments": ["fiber"], "labels": {"region": "bandung"}},
    )
    incident_id = (await declared.json())["id"]
    preview = await (await api.get(f"/api/v1/incidents/{incident_id}/audience")).json()
    assert (preview["eligible"], preview["already_selected"]) == (4, 0)
    assert preview["estimate"]["messages"] == 4
    prices = price_table(deps.settings)
    assert preview["estimate"]["cost"] == prices.estimate("utility", {"62": 4})
    assert preview["estimate"]["cost"] > 0, "the shipped price table prices Indonesia"

    first = await deps.planner.plan(incident_id, Kind.NOTICE, "1")
    assert first is not None
    assert first.total == 4
    after = await (await api.get(f"/api/v1/incidents/{incident_id}/audience")).json()
    assert after["already_selected"] == 4

    await api.post("/api/v1/customers", json=[customer(i) for i in range(9, 13)])
    await api.post("/api/v1/customers", json=[customer(3, opt_in=False)])
    widened = await deps.planner.plan(incident_id, Kind.NOTICE, "2")
    assert widened is not None
    assert widened.total == 2, "only customers 9 and 11 are new in scope"
    assert (await api.get("/api/v1/incidents/INC-404/audience")).status == 404
