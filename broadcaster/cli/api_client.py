"""A small client of the commander API for the CLI's verbs."""

from __future__ import annotations

import json
import uuid
from typing import Any, BinaryIO

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
    headers = _headers(settings)
    if method == "POST":
        headers["Idempotency-Key"] = uuid.uuid4().hex
    try:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session,
            session.request(method, api_base(settings) + path, json=body, headers=headers) as r,
        ):
            text = await r.text()
            status = r.status
    except aiohttp.ClientError as exc:
        raise BroadcasterError(f"cannot reach the API at {api_base(settings)}: {exc}") from exc
    try:
        data = json.loads(text) if text else {}
    except ValueError:
        data = {"error": {"message": text[:200]}}
    _raise_for(status, data)
    return data


async def download(settings: Settings, path: str, sink: BinaryIO) -> int:
    """GET ``path`` into ``sink`` as it arrives (large exports); returns the bytes written."""
    written = 0
    try:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(sock_read=60)) as session,
            session.get(api_base(settings) + path, headers=_headers(settings)) as response,
        ):
            if response.status >= 400:
                text = await response.text()
                try:
                    data = json.loads(text)
                except ValueError:
                    data = {"error": {"message": text[:200]}}
                _raise_for(response.status, data)
            async for block in response.content.iter_chunked(1 << 16):
                sink.write(block)
                written += len(block)
    except aiohttp.ClientError as exc:
        raise BroadcasterError(f"cannot reach the API at {api_base(settings)}: {exc}") from exc
    return written


def _headers(settings: Settings) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_token(settings)}"}


def _raise_for(status: int, data: Any) -> None:
    if status < 400:
        return
    error = data.get("error", {}) if isinstance(data, dict) else {}
    message = f"{status}: {error.get('message', 'request failed')}"
    if status >= 500:
        raise BroadcasterError(message)
    raise InputError(message, error.get("details") or [])
