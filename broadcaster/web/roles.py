"""Mark handlers with the role they need; ``auth_middleware`` enforces it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from aiohttp import web

from broadcaster.adapters.token_store import Role

H = TypeVar("H", bound=Callable[[web.Request], Awaitable[web.StreamResponse]])


def requires(role: Role) -> Callable[[H], H]:
    def mark(handler: H) -> H:
        handler.required_role = role  # type: ignore[attr-defined]
        return handler

    return mark
