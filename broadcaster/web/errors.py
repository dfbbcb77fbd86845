"""Errors as JSON: ``{"error": {"code", "message", "details"}}`` with a 4xx, never a traceback."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from aiohttp import web
from aiohttp.typedefs import Handler

from broadcaster.errors import InputError, WebhookRejected

logger = logging.getLogger(__name__)


def error_response(
    status: int, code: str, message: str, details: Sequence[str] = ()
) -> web.Response:
    return web.json_response(
        {"error": {"code": code, "message": message, "details": list(details)}}, status=status
    )


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except InputError as exc:
        return error_response(exc.status, exc.code, exc.message, exc.details)
    except WebhookRejected as exc:
        return error_response(exc.status, exc.code, exc.message)
    except web.HTTPRequestEntityTooLarge as exc:
        return error_response(413, "body_too_large", exc.text or "request body too large")
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        code = exc.reason.lower().replace(" ", "_")
        return error_response(exc.status, code, exc.text or exc.reason)
    except Exception:
        logger.exception("unhandled error", extra={"path": request.path})
        return error_response(500, "internal_error", "internal error; see the server log")
