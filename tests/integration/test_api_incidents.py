"""Commander API against a real Redis: declare, read, update, resolve; errors are JSON 4xx."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from broadcaster.domain.timefmt import format_rfc3339


def in_hours(hours: float) -> str:
    return format_rfc3339(datetime.now(UTC) + timedelta(hours=hours)) or ""


async def test_declare_then_show_update_and_resolve(api):
    response = await api.post(
        "/api/v1/incidents",
        json={"title": "Fibre cut", "segments": ["fiber"], "severity": "major", "eta": in_hours(2)},
    )
    assert response.status == 201, await response.text()
    incident = await response.json()
    assert incident["status"] == "investigating"
    assert incident["id"].startswith("INC-")

    shown = await (await api.get(f"/api/v1/incidents/{incident['id']}")).json()
    assert shown["audit"][0]["action"] == "declare"

    updated = await api.post(
        f"/api/v1/incidents/{incident['id']}/updates", json={"status": "identified"}
    )
    assert updated.status == 200
    assert (await updated.json())["status"] == "identified"

    resolved = await api.post(f"/api/v1/incidents/{incident['id']}/resolve", json={})
    assert (await resolved.json())["status"] == "resolved"

    again = await api.post(f"/api/v1/incidents/{incident['id']}/resolve", json={})
    assert again.status == 409
    assert (await again.json())["error"]["code"] == "conflict"


async def test_bad_declarations_get_a_precise_400_and_store_nothing(api, redis_client):
    cases = [
        (b"{not json", "application/json"),
        (b'{"title": 5, "segments": "fiber"}', "application/json"),
        (b'{"title": "x", "segments": ["nope"]}', "application/json"),
        (b'{"title": "x", "segments": ["fiber"], "eta": "tomorrow"}', "application/json"),
        (b'{"title": "x", "segments": ["fiber"]}', "text/plain"),
    ]
    for body, content_type in cases:
        response = await api.post(
            "/api/v1/incidents", data=body, headers={"Content-Type": content_type}
        )
        assert response.status == 400, body
        error = (await response.json())["error"]
        assert error["message"]
    assert await redis_client.keys("*") == [], "a refused declaration writes nothing"


async def test_bad_resolve_and_cancel_bodies_get_a_400_and_leave_the_incident_open(api):
    declared = await api.post("/api/v1/incidents", json={"title": "x", "segments": ["fiber"]})
    incident = (await declared.json())["id"]
    cases = [
        ("resolve", [1], 'expected {"note"?: str, "resolved_at"?: RFC 3339}'),
        ("resolve", {"nte": "typo"}, 'expected {"note"?: str, "resolved_at"?: RFC 3339}'),
        ("resolve", {"note": 5}, "note: expected a string"),
        ("resolve", {"resolved_at": "noon"}, "resolved_at: expected an RFC 3339"),
        ("cancel", [1], 'expected {"note"?: str}'),
        ("cancel", {"reason": "false alarm"}, 'expected {"note"?: str}'),
        ("cancel", {"note": ["x"]}, "note: expected a string"),
    ]
    for verb, body, problem in cases:
        response = await api.post(f"/api/v1/incidents/{incident}/{verb}", json=body)
        assert response.status == 400, (verb, body)
        assert (await response.json())["error"]["message"].startswith(problem), (verb, body)
    shown = await (await api.get(f"/api/v1/incidents/{incident}")).json()
    assert shown["status"] == "investigating"
    assert [entry["action"] for entry in shown["audit"]] == ["declare"]


async def test_missing_or_wrong_token_is_401(api):
    api.session.headers.pop("Authorization")
    assert (await api.get("/api/v1/incidents")).status == 401
    bad = await api.get("/api/v1/incidents", headers={"Authorization": "Bearer nope"})
    assert bad.status == 401


async def test_idempotency_key_replays_the_first_answer(api):
    body = {"title": "Fibre cut", "segments": ["fiber"]}
    headers = {"Idempotency-Key": "abc-1"}
    first = await api.post("/api/v1/incidents", json=body, headers=headers)
    second = await api.post("/api/v1/incidents", json=body, headers=headers)
    assert first.status == second.status == 201
    assert (await first.json())["id"] == (await second.json())["id"]
    other = await api.post("/api/v1/incidents", json={**body, "title": "x"}, headers=headers)
    assert other.status == 422
