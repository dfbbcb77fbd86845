"""The simulator's aiohttp application: Graph routes, the test-only control plane, ops routes.

Graph routes (``/v{NN}.0/...``) answer as Meta does. ``/_sim/*`` is a control plane for
tests and demos only: it has no authentication, so never expose a simulator beyond
localhost. ``/healthz`` and ``/metrics`` are for the operator.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

from aiohttp import web
from prometheus_client import CollectorRegistry
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest

from broadcaster.simulator.faults import faults_dict, update_faults
from broadcaster.simulator.graph_errors import UNKNOWN_PATH, GraphError
from broadcaster.simulator.inbound import InboundRequest
from broadcaster.simulator.listing import list_templates, phone_number_node
from broadcaster.simulator.metrics import simulator_registry
from broadcaster.simulator.replies import Reply, bearer_token
from broadcaster.simulator.simulator import Simulator

SIMULATOR: web.AppKey[Simulator] = web.AppKey("simulator")
REGISTRY: web.AppKey[CollectorRegistry] = web.AppKey("registry")
_VERSION = r"{version:v\d+\.\d+}"


def build_app(simulator: Simulator) -> web.Application:
    """The app for ``simulator``; its webhook poster runs while the app runs."""
    app = web.Application()
    app[SIMULATOR] = simulator
    app[REGISTRY] = simulator_registry(simulator)
    app.cleanup_ctx.append(_background)
    app.router.add_post(f"/{_VERSION}/{{node}}/messages", send_message)
    app.router.add_get(f"/{_VERSION}/{{node}}/message_templates", get_message_templates)
    app.router.add_get(f"/{_VERSION}/{{node}}", get_node)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
    app.router.add_get("/_sim/report", control_report)
    app.router.add_get("/_sim/faults", control_get_faults)
    app.router.add_post("/_sim/faults", control_set_faults)
    app.router.add_post("/_sim/inbound", control_inbound)
    app.router.add_post("/_sim/token", control_token)
    app.router.add_post("/_sim/templates/status", control_template_status)
    app.router.add_post("/_sim/reset", control_reset)
    app.router.add_route("*", f"/{_VERSION}/{{tail:.*}}", unknown_path)
    return app


async def _background(app: web.Application) -> AsyncIterator[None]:
    async with app[SIMULATOR].running():
        yield


def _token(request: web.Request) -> str | None:
    token = bearer_token(request.headers.get("Authorization"))
    return token if token is not None else request.query.get("access_token")


def _send(reply: Reply) -> web.Response:
    return web.Response(
        status=reply.status, body=reply.body, content_type="application/json", headers=reply.headers
    )


async def send_message(request: web.Request) -> web.StreamResponse:
    """``POST /{version}/{phone_number_id}/messages``."""
    sim = request.app[SIMULATOR]
    match = request.match_info
    reply = sim.handle_send(match["version"], match["node"], _token(request), await request.read())
    if reply.delay_s:
        await asyncio.sleep(reply.delay_s)
    if reply.drop:
        # accepted and recorded, but the client never hears: ServerDisconnectedError
        if request.transport is not None:
            request.transport.abort()
        return web.Response(status=200)
    return _send(reply)


def _graph_get(
    request: web.Request, endpoint: str, answer: Callable[[Simulator], dict[str, Any]]
) -> web.Response:
    sim = request.app[SIMULATOR]
    sim.ledger.requests[endpoint] += 1
    match = request.match_info
    try:
        sim.check_read(match["version"], match["node"], _token(request), waba=endpoint != "node")
        return web.json_response(answer(sim))
    except GraphError as error:
        sim.ledger.sync_errors[error.code] += 1
        return _send(Reply.error(error))


async def get_message_templates(request: web.Request) -> web.Response:
    """``GET /{version}/{waba_id}/message_templates``: the configured templates, paged."""
    url = str(request.url.with_query(None))

    def answer(sim: Simulator) -> dict[str, Any]:
        return list_templates(sim.config.templates, request.query, url)

    return _graph_get(request, "message_templates", answer)


async def get_node(request: web.Request) -> web.Response:
    """``GET /{version}/{phone_number_id}?fields=...``."""
    node, fields = request.match_info["node"], request.query.get("fields")
    return _graph_get(request, "node", lambda sim: phone_number_node(sim.config, node, fields))


async def unknown_path(request: web.Request) -> web.Response:
    error = GraphError(UNKNOWN_PATH, f"Unknown path components: {request.path}")
    request.app[SIMULATOR].ledger.sync_errors[error.code] += 1
    return _send(Reply.error(error))


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def metrics(request: web.Request) -> web.Response:
    body = generate_latest(request.app[REGISTRY])
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


# --- control plane (test-only, unauthenticated) --------------------------------------------
async def _json_object(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(
            text='{"error": "expected a JSON object"}', content_type="application/json"
        )
    return body


def _bad_request(message: str) -> web.Response:
    return web.json_response({"error": message}, status=400)


async def control_report(request: web.Request) -> web.Response:
    include = request.query.get("messages", "") in ("1", "true", "yes")
    return web.json_response(request.app[SIMULATOR].report(include_messages=include))


async def control_get_faults(request: web.Request) -> web.Response:
    return web.json_response(faults_dict(request.app[SIMULATOR].faults))


async def control_set_faults(request: web.Request) -> web.Response:
    sim = request.app[SIMULATOR]
    try:
        update_faults(sim.faults, await _json_object(request))
    except ValueError as exc:
        return _bad_request(str(exc))
    return web.json_response(faults_dict(sim.faults))


async def control_inbound(request: web.Request) -> web.Response:
    fields = await _json_object(request)
    if "from" in fields:
        fields["from_number"] = fields.pop("from")
    try:
        inbound = InboundRequest(**fields)
        message_id = await request.app[SIMULATOR].receive(inbound)
    except (TypeError, ValueError) as exc:
        return _bad_request(str(exc))
    return web.json_response({"id": message_id})


async def control_token(request: web.Request) -> web.Response:
    token = (await _json_object(request)).get("access_token")
    if not isinstance(token, str) or not token:
        return _bad_request("access_token must be a non-empty string")
    request.app[SIMULATOR].set_access_token(token)
    return web.json_response({"ok": True})


async def control_reset(request: web.Request) -> web.Response:
    request.app[SIMULATOR].reset()
    return web.json_response({"ok": True})


async def control_template_status(request: web.Request) -> web.Response:
    fields = await _json_object(request)
    try:
        name, language, status = (str(fields[k]) for k in ("name", "language", "status"))
        posted = await request.app[SIMULATOR].set_template_status(
            name, language, status, str(fields.get("reason", "NONE"))
        )
    except KeyError as exc:
        return _bad_request(f"{exc.args[0]} is required")
    except ValueError as exc:
        return _bad_request(str(exc))
    return web.json_response({"ok": True, "webhook_posted": posted})
