"""The CLI's own connection to Redis, for commands that work on the store directly."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from urllib.parse import urlparse

from redis.exceptions import RedisError

from broadcaster.adapters.redis_connection import Redis, connect
from broadcaster.config import Settings
from broadcaster.errors import BroadcasterError


def where(url: str) -> str:
    """``redis://:secret@10.0.0.5:6380/0`` -> ``10.0.0.5:6380`` (no credentials in messages)."""
    parsed = urlparse(url)
    return f"{parsed.hostname or 'localhost'}:{parsed.port or 6379}"


@contextlib.asynccontextmanager
async def redis_for(settings: Settings) -> AsyncIterator[Redis]:
    """A client for the configured Redis; a Redis failure becomes a ``BroadcasterError``
    (exit status 1) that names the server, never its password."""
    redis = connect(settings.redis)
    try:
        yield redis
    except RedisError as exc:
        raise BroadcasterError(f"Redis at {where(settings.redis.url)} failed: {exc}") from exc
    finally:
        with contextlib.suppress(RedisError, OSError):
            await redis.aclose()
