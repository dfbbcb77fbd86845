"""Commander API: pause, resume or cancel a broadcast; show its progress."""

from __future__ import annotations

from aiohttp import web

from broadcaster.adapters.broadcast_store import BroadcastStatus
from broadcaster.adapters.token_store import Role
from broadcaster.bootstrap import Deps
from broadcaster.errors import Conflict
from broadcaster.services.reports import broadcast_view
from broadcaster.web.keys import DEPS
from broadcaster.web.roles import requires

routes = web.RouteTableDef()


def _now(deps: Deps) -> int:
    return int(deps.clock().timestamp())


@routes.get("/api/v1/broadcasts/{id}")
@requires(Role.VIEWER)
async def show(request: web.Request) -> web.Response:
    deps = request.app[DEPS]
    broadcast = await deps.broadcasts.get(request.match_info["id"])
    return web.json_response(await broadcast_view(deps.broadcasts, broadcast, _now(deps)))


@routes.post("/api/v1/broadcasts/{id}/{action:pause|resume|cancel}")
@requires(Role.COMMANDER)
async def control(request: web.Request) -> web.Response:
    deps = request.app[DEPS]
    action = request.match_info["action"]
    broadcast = await deps.broadcasts.get(request.match_info["id"])
    finished = (BroadcastStatus.DONE, BroadcastStatus.CANCELLED)
    if broadcast.status in finished:
        raise Conflict(f"broadcast {broadcast.id} is {broadcast.status}: nothing to {action}")
    if action == "pause":
        await deps.broadcasts.set_status(broadcast.id, BroadcastStatus.PAUSED, "commander")
    elif action == "resume":
        if broadcast.status is BroadcastStatus.RUNNING:
            raise Conflict(f"broadcast {broadcast.id} is already running")
        # the commander says the template is fixed: forget what our sends recorded of it
        names = {t.name for t in deps.renderer.templates() if t.kind is broadcast.kind}
        await deps.sending.template_statuses.clear_from_sends(names)
        await deps.broadcasts.set_status(broadcast.id, BroadcastStatus.RUNNING, bump=True)
        await deps.planner.queue_chunks(await deps.broadcasts.get(broadcast.id))
    else:
        await deps.broadcasts.set_status(broadcast.id, BroadcastStatus.CANCELLED, "commander")
        await deps.queue.enqueue("skip_remaining", broadcast.id, job_id=f"skip:{broadcast.id}")
    updated = await deps.broadcasts.get(broadcast.id)
    return web.json_response(await broadcast_view(deps.broadcasts, updated, _now(deps)))
