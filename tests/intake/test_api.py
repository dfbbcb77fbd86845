"""The commander API around intake: tokens with roles from config, OpenAPI matching the routes."""

from __future__ import annotations

from typing import Any

from broadcaster.web.openapi import document
from tests.intake.conftest import COMMANDER_TOKEN, VIEWER_TOKEN

VIEWER = {"Authorization": f"Bearer {VIEWER_TOKEN}"}
COMMANDER = {"Authorization": f"Bearer {COMMANDER_TOKEN}"}
DECLARATION = {"title": "Fibre cut", "segments": ["fiber"], "severity": "major"}


async def test_config_tokens_carry_their_roles(hooks):
    assert (await hooks.get("/api/v1/incidents", headers=VIEWER)).status == 200
    refused = await hooks.post("/api/v1/incidents", json=DECLARATION, headers=VIEWER)
    assert refused.status == 403
    assert (
        "needs the commander role; victor is viewer" in (await refused.json())["error"]["message"]
    )
    declared = await hooks.post("/api/v1/incidents", json=DECLARATION, headers=COMMANDER)
    assert declared.status == 201
    shown = await (
        await hooks.get(f"/api/v1/incidents/{(await declared.json())['id']}", headers=VIEWER)
    ).json()
    assert shown["audit"][0]["actor"] == "carol"
    assert shown["signals"] == []
    unknown = await hooks.get("/api/v1/incidents", headers={"Authorization": "Bearer nope"})
    assert unknown.status == 401


async def test_tokens_created_in_redis_still_work_next_to_config_tokens(hooks, deps):
    from broadcaster.adapters.token_store import Role, TokenStore

    token = await TokenStore(deps.redis, deps.keys).create("dana", Role.COMMANDER)
    response = await hooks.post(
        "/api/v1/incidents", json=DECLARATION, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status == 201


async def test_the_whole_life_over_the_api_with_illegal_moves_refused(hooks):
    declared = await (
        await hooks.post("/api/v1/incidents", json=DECLARATION, headers=COMMANDER)
    ).json()
    path = f"/api/v1/incidents/{declared['id']}"

    async def call(verb: str, body: dict[str, Any]) -> Any:
        return await hooks.post(f"{path}/{verb}", json=body, headers=COMMANDER)

    assert (
        await call("updates", {"status": "identified", "eta": "2099-01-01T00:00:00Z"})
    ).status == 200
    illegal = await call("updates", {"status": "pending"})
    assert illegal.status == 409
    assert (await illegal.json())["error"]["message"] == (
        f"incident {declared['id']} cannot move from identified to pending"
    )
    assert (await call("updates", {"status": "monitoring", "note": "fix deployed"})).status == 200
    assert (await call("confirm", {})).status == 409
    assert (await call("resolve", {"note": "all good"})).status == 200
    assert (await call("cancel", {})).status == 409
    shown = await (await hooks.get(path, headers=VIEWER)).json()
    assert [a["action"] for a in shown["audit"]] == ["declare", "update", "update", "resolve"]
    assert shown["status"] == "resolved"


async def test_openapi_describes_exactly_the_routes_the_app_serves(hooks):
    response = await hooks.get("/api/v1/openapi.json")
    assert response.status == 200
    served = await response.json()
    assert served == document()
    routes = {
        (route.method.lower(), route.resource.canonical)
        for route in hooks.app.router.routes()
        if route.method not in ("HEAD", "*") and route.resource is not None
    }
    documented = {
        (method, path) for path, operations in served["paths"].items() for method in operations
    }
    assert documented == routes


def test_every_reference_in_the_openapi_document_resolves():
    doc = document()
    schemas = doc["components"]["schemas"]

    def refs(node: Any) -> list[str]:
        if isinstance(node, dict):
            found = [node["$ref"]] if "$ref" in node else []
            return found + [r for value in node.values() for r in refs(value)]
        if isinstance(node, list):
            return [r for value in node for r in refs(value)]
        return []

    names = {ref.rsplit("/", 1)[1] for ref in refs(doc)}
    assert names <= set(schemas)
    assert doc["openapi"].startswith("3.1")
    posts = [
        op
        for path, ops in doc["paths"].items()
        if path.startswith("/api/")
        for method, op in ops.items()
        if method == "post"
    ]
    assert all(any(p["name"] == "Idempotency-Key" for p in op["parameters"]) for op in posts)
