"""Lua scripts run inside Redis: each is one atomic state transition."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

from broadcaster.adapters.redis_connection import Redis


@cache
def source(name: str) -> str:
    return resources.files(__package__).joinpath(f"{name}.lua").read_text(encoding="utf-8")


def script(redis: Redis, name: str) -> Any:
    """A callable ``await s(keys=[...], args=[...])`` that uses EVALSHA with a fallback."""
    return redis.register_script(source(name))
