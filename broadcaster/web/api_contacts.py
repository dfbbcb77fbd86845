"""``POST /api/v1/contacts``: contacts from other channels (call centre, helpdesk, e-mail,
chat), so that their volume counts toward deflection too (docs/deflection.md)."""

from __future__ import annotations

from aiohttp import web

from broadcaster.adapters.token_store import Role
from broadcaster.domain.contacts import parse_contacts
from broadcaster.services.contacts import record_reported
from broadcaster.web.bodies import read_json
from broadcaster.web.keys import DEPS
from broadcaster.web.roles import requires

routes = web.RouteTableDef()


@routes.post("/api/v1/contacts")
@requires(Role.COMMANDER)
async def report_contacts(request: web.Request) -> web.Response:
    deps = request.app[DEPS]
    body = await read_json(request, deps.settings.http.max_body_bytes)
    cfg = deps.settings.deflection
    events = parse_contacts(body, cfg.channels, deps.clock(), cfg.retention)
    return web.json_response(await record_reported(deps, events))
