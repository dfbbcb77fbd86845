"""Customer directory API: batch upsert, erasure, one record; segments; audience previews."""

from __future__ import annotations

from aiohttp import web

from broadcaster.adapters.token_store import Role
from broadcaster.domain.segments import parse_labels
from broadcaster.errors import InputError, NotFound
from broadcaster.services.audience_preview import AudienceView
from broadcaster.services.customer_batches import erase_batch, upsert_batch
from broadcaster.services.customer_rules import row_rules
from broadcaster.web.bodies import object_of, read_json
from broadcaster.web.keys import DEPS
from broadcaster.web.roles import requires

routes = web.RouteTableDef()


def _view(request: web.Request) -> AudienceView:
    deps = request.app[DEPS]
    return AudienceView(
        deps.settings, deps.keys, deps.directory, deps.audiences, deps.incident_store, deps.segments
    )


def _sample(request: web.Request) -> int:
    try:
        return int(request.query.get("sample", "10"))
    except ValueError as exc:
        raise InputError("sample: expected an integer") from exc


@routes.post("/api/v1/customers")
@requires(Role.ADMIN)
async def upsert_customers(request: web.Request) -> web.Response:
    deps = request.app[DEPS]
    body = await read_json(request, deps.settings.http.max_body_bytes)
    result = await upsert_batch(
        deps.directory, row_rules(deps.settings), body, deps.settings.customers.api_batch_limit
    )
    return web.json_response(result)


@routes.post("/api/v1/customers/delete")
@requires(Role.ADMIN)
async def erase_customers(request: web.Request) -> web.Response:
    deps = request.app[DEPS]
    raw = await read_json(request, deps.settings.http.max_body_bytes)
    usage = '{"customer_ids": [...]}'
    body = object_of(raw, usage, ["customer_ids"])  # an erasure cannot be undone: no guessing
    if not isinstance(body.get("customer_ids"), list):
        raise InputError(f"expected {usage}")
    return web.json_response(await erase_batch(deps.directory, body["customer_ids"]))


@routes.delete("/api/v1/customers/{id}")
@requires(Role.ADMIN)
async def erase_customer(request: web.Request) -> web.Response:
    deps = request.app[DEPS]
    customer_id = request.match_info["id"]
    result = await erase_batch(deps.directory, [customer_id])
    if not result["erased"]:
        raise NotFound(f"no customer {customer_id!r}")
    return web.json_response({"customer_id": customer_id, "erased": True})


@routes.get("/api/v1/customers/{id}")
@requires(Role.ADMIN)
async def show_customer(request: web.Request) -> web.Response:
    deps = request.app[DEPS]
    customer_id = request.match_info["id"]
    ordinal = await deps.directory.ordinal(customer_id)
    customer = None if ordinal is None else (await deps.directory.get_many([ordinal]))[0]
    if ordinal is None or customer is None:
        raise NotFound(f"no customer {customer_id!r}")
    (opted_out,) = await deps.directory.is_opted_out([ordinal])
    return web.json_response(
        {
            "customer_id": customer.customer_id,
            "phone": customer.phone,
            "opt_in": customer.opt_in,
            "opted_out": opted_out,
            "name": customer.name,
            "language": customer.language,
            "timezone": customer.timezone,
            "tier": customer.tier,
            "attributes": dict(customer.attributes),
        }
    )


@routes.get("/api/v1/segments")
@requires(Role.VIEWER)
async def list_segments(request: web.Request) -> web.Response:
    segments = request.app[DEPS].segments
    return web.json_response({"segments": [s.to_dict() for s in segments.values()]})


@routes.get("/api/v1/segments/{name}/audience")
@requires(Role.COMMANDER)
async def segment_audience(request: web.Request) -> web.Response:
    labels = parse_labels(request.query.getall("label", []))
    body = await _view(request).of_segment(request.match_info["name"], labels, _sample(request))
    return web.json_response(body)


@routes.get("/api/v1/incidents/{id}/audience")
@requires(Role.COMMANDER)
async def incident_audience(request: web.Request) -> web.Response:
    body = await _view(request).of_incident(request.match_info["id"], _sample(request))
    return web.json_response(body)
