"""Operations endpoints: liveness, readiness (Redis answers), Prometheus metrics."""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web
from redis.exceptions import RedisError

from broadcaster import __version__
from broadcaster.metrics import REDIS_UP, SERVER, describe_build, render
from broadcaster.services import gauges
from broadcaster.web.keys import DEPS

logger = logging.getLogger(__name__)
routes = web.RouteTableDef()


@routes.get("/healthz")
async def healthz(request: web.Request) -> web.Response:
    commit = request.app[DEPS].settings.app.commit
    return web.json_response({"status": "ok", "version": __version__, "commit": commit})


@routes.get("/readyz")
async def readyz(request: web.Request) -> web.Response:
    deps = request.app[DEPS]
    try:
        await asyncio.wait_for(deps.redis.ping(), timeout=2)
    except (RedisError, OSError, TimeoutError) as exc:
        return web.json_response({"status": "unavailable", "redis": str(exc)[:200]}, status=503)
    return web.json_response({"status": "ready", "redis": "ok"})


@routes.get("/metrics")
async def metrics(request: web.Request) -> web.Response:
    """Process metrics plus the shared-state gauges, refreshed from Redis for this scrape."""
    deps = request.app[DEPS]
    describe_build(__version__, deps.settings.app.commit)
    try:
        await asyncio.wait_for(gauges.refresh(deps), timeout=5)
    except (RedisError, OSError, TimeoutError):
        REDIS_UP.set(0)
        logger.warning("state gauges not refreshed: Redis unavailable")
    else:
        REDIS_UP.set(1)
    body, content_type = render(SERVER)
    return web.Response(body=body, headers={"Content-Type": content_type})
