"""Reading request bodies safely: a size cap per route and JSON that must be an object."""

from __future__ import annotations

import json
from collections.abc import Collection
from typing import Any

from aiohttp import web

from broadcaster.errors import InputError


class BodyTooLarge(InputError):
    status = 413
    code = "body_too_large"


async def read_body(request: web.Request, limit: int) -> bytes:
    """The raw body, refused with 413 above ``limit`` bytes (checked before reading it all)."""
    if request.content_length is not None and request.content_length > limit:
        raise BodyTooLarge(f"request body larger than {limit} bytes")
    body = await request.read()
    if len(body) > limit:
        raise BodyTooLarge(f"request body larger than {limit} bytes")
    return body


async def read_json(request: web.Request, limit: int) -> Any:
    """A JSON request body; wrong content type or malformed JSON is a 4xx naming the problem."""
    if request.content_type != "application/json":
        raise InputError(
            "expected Content-Type: application/json", [f"got {request.content_type!r}"]
        )
    body = await read_body(request, limit)
    if not body.strip():
        return {}
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError("request body is not valid JSON", [str(exc)]) from exc


def object_of(body: object, usage: str, fields: Collection[str]) -> dict[str, Any]:
    """``body`` as a JSON object of ``fields`` only: an unknown field (a typo, another tool's
    option such as ``dry_run``) is refused, not silently dropped, as incident requests are."""
    if not isinstance(body, dict):
        raise InputError(f"expected {usage}")
    if unknown := sorted(set(body) - set(fields)):
        raise InputError(f"expected {usage}", [f"{key}: unknown field" for key in unknown])
    return body
