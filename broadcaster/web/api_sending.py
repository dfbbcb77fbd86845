"""Commander API: the account-wide sending hold, and resuming after an operator fixed its cause.

A token or permission hold lifts by itself (the worker's probe). A payment, account or number
hold cannot be verified that way, so the person who fixed it with Meta resumes sending here.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from broadcaster.adapters.holds import Hold
from broadcaster.adapters.token_store import Role
from broadcaster.errors import Conflict
from broadcaster.services.holds import PROBED, lift
from broadcaster.web.keys import DEPS
from broadcaster.web.roles import requires

routes = web.RouteTableDef()


def hold_view(hold: Hold | None) -> dict[str, Any]:
    if hold is None:
        return {"held": False, "hold": None}
    lifts = "probe" if hold.reason in PROBED else "operator"
    view = {"reason": hold.reason, "code": hold.code, "since": hold.since, "lifted_by": lifts}
    return {"held": True, "hold": view}


@routes.get("/api/v1/sending")
@requires(Role.VIEWER)
async def show(request: web.Request) -> web.Response:
    return web.json_response(hold_view(await request.app[DEPS].holds.get()))


@routes.post("/api/v1/sending/resume")
@requires(Role.COMMANDER)
async def resume(request: web.Request) -> web.Response:
    deps = request.app[DEPS]
    if not await lift(deps.holds, "operator"):
        raise Conflict("sending is not held: nothing to resume")
    return web.json_response(hold_view(None))
