"""Commander API: incidents (declare, list, show, update, confirm, resolve, cancel, report)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from broadcaster.adapters.token_store import Role
from broadcaster.bootstrap import Deps
from broadcaster.charts import render_svg
from broadcaster.domain.incident_requests import parse_declaration, parse_update
from broadcaster.domain.incidents import Actor, Status
from broadcaster.domain.timefmt import parse_rfc3339
from broadcaster.errors import InputError
from broadcaster.services.reports import broadcast_view, full_report
from broadcaster.web.auth import PRINCIPAL
from broadcaster.web.bodies import object_of, read_json
from broadcaster.web.keys import DEPS
from broadcaster.web.roles import requires
from broadcaster.web.webhooks_intake import INTAKE

routes = web.RouteTableDef()


def _now(deps: Deps) -> int:
    return int(deps.clock().timestamp())


def _actor(request: web.Request) -> Actor:
    return Actor(request[PRINCIPAL].name, "api")


async def _body(request: web.Request) -> object:
    return await read_json(request, request.app[DEPS].settings.http.max_body_bytes)


def _closing(body: object, **fields: str) -> dict[str, Any]:
    """A resolve or cancel body: an object of the optional ``fields`` (name: what it holds)
    and nothing else, since a typo would lose the note silently while the incident closes."""
    usage = ", ".join(f'"{name}"?: {kind}' for name, kind in fields.items())
    body = object_of(body, f"{{{usage}}}", fields)
    note = body.get("note")
    if note is not None and not isinstance(note, str):
        raise InputError("note: expected a string")
    return body


@routes.get("/api/v1/incidents")
@requires(Role.VIEWER)
async def list_incidents(request: web.Request) -> web.Response:
    deps = request.app[DEPS]
    statuses = None
    if "status" in request.query:
        try:
            statuses = {Status(s) for s in request.query["status"].split(",")}
        except ValueError as exc:
            raise InputError("unknown status filter", [str(exc)]) from exc
    try:
        limit = min(1000, int(request.query.get("limit", "100")))
    except ValueError as exc:
        raise InputError("limit: expected an integer") from exc
    incidents = await deps.incident_store.newest(statuses, limit)
    return web.json_response({"incidents": [i.to_dict() for i in incidents]})


@routes.post("/api/v1/incidents")
@requires(Role.COMMANDER)
async def declare_incident(request: web.Request) -> web.Response:
    deps = request.app[DEPS]
    declaration = parse_declaration(await _body(request), known_segments=list(deps.segments))
    incident = await deps.incidents.declare(declaration, _actor(request))
    return web.json_response(incident.to_dict(), status=201)


@routes.get("/api/v1/incidents/{id}")
@requires(Role.VIEWER)
async def show_incident(request: web.Request) -> web.Response:
    deps = request.app[DEPS]
    incident = await deps.incident_store.get(request.match_info["id"])
    broadcasts = await deps.broadcasts.for_incident(incident.id)
    return web.json_response(
        {
            **incident.to_dict(),
            "audit": await deps.incident_store.audit(incident.id),
            "broadcasts": [
                await broadcast_view(deps.broadcasts, b, _now(deps)) for b in broadcasts
            ],
            "signals": await request.app[INTAKE].store.signals_of(incident.id),
        }
    )


@routes.post("/api/v1/incidents/{id}/updates")
@requires(Role.COMMANDER)
async def update_incident(request: web.Request) -> web.Response:
    deps = request.app[DEPS]
    change = parse_update(await _body(request), known_segments=list(deps.segments))
    incident = await deps.incidents.update(request.match_info["id"], change, _actor(request))
    return web.json_response(incident.to_dict())


@routes.post("/api/v1/incidents/{id}/confirm")
@requires(Role.COMMANDER)
async def confirm_incident(request: web.Request) -> web.Response:
    deps = request.app[DEPS]
    await _body(request)
    incident = await deps.incidents.confirm(request.match_info["id"], _actor(request))
    return web.json_response(incident.to_dict())


@routes.post("/api/v1/incidents/{id}/resolve")
@requires(Role.COMMANDER)
async def resolve_incident(request: web.Request) -> web.Response:
    deps = request.app[DEPS]
    body = _closing(await _body(request), note="str", resolved_at="RFC 3339")
    note = body.get("note")
    try:
        resolved_at = parse_rfc3339(body.get("resolved_at"))
    except (ValueError, AttributeError) as exc:
        raise InputError("resolved_at: expected an RFC 3339 time with offset") from exc
    incident = await deps.incidents.resolve(
        request.match_info["id"], _actor(request), note, resolved_at
    )
    return web.json_response(incident.to_dict())


@routes.post("/api/v1/incidents/{id}/cancel")
@requires(Role.COMMANDER)
async def cancel_incident(request: web.Request) -> web.Response:
    deps = request.app[DEPS]
    note = _closing(await _body(request), note="str").get("note")
    incident = await deps.incidents.cancel(request.match_info["id"], _actor(request), note)
    return web.json_response(incident.to_dict())


@routes.get("/api/v1/incidents/{id}/report")
@requires(Role.VIEWER)
async def report(request: web.Request) -> web.Response:
    body = await full_report(request.app[DEPS], request.match_info["id"])
    return web.json_response(body)


@routes.get("/api/v1/incidents/{id}/report.svg")
@requires(Role.VIEWER)
async def report_chart(request: web.Request) -> web.Response:
    body = await full_report(request.app[DEPS], request.match_info["id"])
    return web.Response(text=render_svg(body), content_type="image/svg+xml")
