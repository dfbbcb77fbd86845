"""A small client of the commander API for the CLI's verbs."""

from __future__ import annotations

import json
import uuid
from typing import Any

import aiohttp

from broadcaster.config import Settings
from broadcaster.errors import BroadcasterError, InputError


def api_base(settings: Settings) -> str:
    return settings.api.url.rstrip("/") or f"http://{settings.http.host}:{settings.http.port}"


def api_token(settings: Settings) -> str:
    return (settings.api.token or settings.api.bootstrap_token).reveal()


async def call(
    settings: Settings, method: str, path: str, body: dict[str, Any] | None = None
) -> Any:
    """One API request; 4xx -> InputError (exit 2), unreachable or 5xx -> BroadcasterError."""
    headers = {"Authorization": f"Bearer {api_token(settings)}"}
    if method == "POST":
        headers["Idempotency-Key"] = uuid.uuid4().hex
    url = api_base(settings) + path
    try:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session,
            session.request(method, url, json=body, headers=headers) as response,
        ):
            text = await response.text()
            status = response.status
    except aiohttp.ClientError as exc:
        raise BroadcasterError(f"cannot reach the API at {api_base(settings)}: {exc}") from exc
    try:
        data = json.loads(text) if text else {}
    except ValueError:
        data = {"error": {"message": text[:200]}}
    if status >= 400:
        error = data.get("error", {}) if isinstance(data, dict) else {}
        message = f"{status}: {error.get('message', 'request failed')}"
        if status >= 500:
            raise BroadcasterError(message)
        raise InputError(message, error.get("details") or [])
    return data
