"""``Idempotency-Key`` on every POST of the commander API: the same key and body return the
first answer; the same key with another body is refused. Keys live 24 hours, per token."""

from __future__ import annotations

import hashlib
import json

from aiohttp import web
from aiohttp.typedefs import Handler

from broadcaster.adapters.redis_connection import awaited
from broadcaster.web.auth import PRINCIPAL
from broadcaster.web.errors import error_response
from broadcaster.web.keys import DEPS

TTL_SECONDS = 24 * 3600
IN_PROGRESS = b"in-progress"


@web.middleware
async def idempotency_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    key = request.headers.get("Idempotency-Key")
    if request.method != "POST" or not key or not request.path.startswith("/api/"):
        return await handler(request)
    if len(key) > 200:
        return error_response(
            400, "invalid_idempotency_key", "Idempotency-Key: at most 200 characters"
        )
    deps = request.app[DEPS]
    principal = request.get(PRINCIPAL)
    scope = principal.name if principal is not None else "anonymous"
    fingerprint = hashlib.sha256(request.path.encode() + b"\0" + await request.read()).hexdigest()
    redis_key = deps.keys.idempotency(scope, hashlib.sha256(key.encode()).hexdigest())
    claimed = await deps.redis.set(redis_key, IN_PROGRESS, nx=True, ex=60)
    if not claimed:
        stored = await awaited(deps.redis.get(redis_key))
        if stored is None or stored == IN_PROGRESS:
            return error_response(
                409, "request_in_progress", "a request with this Idempotency-Key is still running"
            )
        record = json.loads(stored)
        if record["fingerprint"] != fingerprint:
            return error_response(
                422,
                "idempotency_key_reused",
                "this Idempotency-Key was used with a different request",
            )
        return web.Response(
            status=record["status"],
            body=record["body"].encode(),
            content_type="application/json",
            headers={"Idempotent-Replayed": "true"},
        )
    try:
        response = await handler(request)
    except BaseException:
        await deps.redis.delete(redis_key)
        raise
    if response.status >= 500 or not isinstance(response, web.Response):
        await deps.redis.delete(redis_key)
        return response
    body = response.body if isinstance(response.body, bytes) else b""
    record = {"fingerprint": fingerprint, "status": response.status, "body": body.decode()}
    await deps.redis.set(redis_key, json.dumps(record), ex=TTL_SECONDS)
    return response
