"""The aiohttp application of ``broadcaster serve``: webhooks, commander API, ops endpoints.

``create_app`` takes a built ``Deps`` (see bootstrap.py) and wires routes and middlewares;
it opens nothing itself, so tests build it around their own Redis and simulator.
"""

from __future__ import annotations

import logging
import time
import uuid

from aiohttp import web
from aiohttp.typedefs import Handler

from broadcaster.adapters.token_store import Role, TokenStore
from broadcaster.bootstrap import Deps
from broadcaster.logs import request_id
from broadcaster.metrics import HTTP_DURATION, HTTP_REQUESTS
from broadcaster.services.intake import intake_service
from broadcaster.web import (
    api_broadcasts,
    api_contacts,
    api_customers,
    api_incidents,
    api_sending,
    api_vouchers,
    openapi,
    ops,
    webhooks_intake,
    webhooks_whatsapp,
)
from broadcaster.web.auth import PRINCIPAL, authenticate, require
from broadcaster.web.errors import error_middleware
from broadcaster.web.idempotency import idempotency_middleware
from broadcaster.web.keys import DEPS, TOKENS

logger = logging.getLogger(__name__)


@web.middleware
async def context_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Request id for the logs, latency and status for the metrics."""
    rid = request.headers.get("X-Request-Id") or uuid.uuid4().hex[:16]
    token = request_id.set(rid)
    started = time.perf_counter()
    route = request.match_info.route.resource
    template = route.canonical if route is not None else "unmatched"
    status = 500
    try:
        response = await handler(request)
        status = response.status
        response.headers["X-Request-Id"] = rid
        return response
    except web.HTTPException as exc:
        status = exc.status
        raise
    finally:
        HTTP_REQUESTS.labels(template, request.method, str(status)).inc()
        HTTP_DURATION.labels(template).observe(time.perf_counter() - started)
        request_id.reset(token)


@web.middleware
async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Handlers marked with ``@requires(role)`` need a bearer token with at least that role."""
    role: Role | None = getattr(request.match_info.handler, "required_role", None)
    if role is not None:
        deps = request.app[DEPS]
        principal = await authenticate(request, request.app[TOKENS], deps.settings.api)
        require(principal, role)
        request[PRINCIPAL] = principal
    return await handler(request)


def create_app(deps: Deps) -> web.Application:
    app = web.Application(
        client_max_size=deps.settings.http.whatsapp_max_body_bytes,
        middlewares=[context_middleware, error_middleware, auth_middleware, idempotency_middleware],
    )
    app[DEPS] = deps
    app[TOKENS] = TokenStore(deps.redis, deps.keys)
    app[webhooks_intake.INTAKE] = intake_service(deps)
    unsecured = webhooks_intake.open_receivers(deps.settings.intake)
    if unsecured:
        logger.warning("webhook receivers accept unauthenticated posts", extra={"open": unsecured})
    app.router.add_routes(ops.routes)
    app.router.add_routes(webhooks_whatsapp.routes)
    app.router.add_routes(webhooks_intake.routes)
    app.router.add_routes(api_incidents.routes)
    app.router.add_routes(api_broadcasts.routes)
    app.router.add_routes(api_sending.routes)
    app.router.add_routes(openapi.routes)
    app.router.add_routes(api_contacts.routes)
    app.router.add_routes(api_vouchers.routes)
    app.router.add_routes(api_customers.routes)
    return app
