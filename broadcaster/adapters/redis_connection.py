"""Connections to the one Redis: a plain URL, or the master named by Redis Sentinel."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable
from typing import Any, TypeVar

import redis.asyncio as aioredis
from arq.connections import RedisSettings as ArqRedisSettings
from redis.asyncio.sentinel import Sentinel

from broadcaster.config import RedisSettings

Redis = aioredis.Redis
T = TypeVar("T")


def _sentinel_hosts(sentinels: list[str]) -> list[tuple[str, int]]:
    hosts = []
    for entry in sentinels:
        host, _, port = entry.rpartition(":")
        hosts.append((host or entry, int(port or 26379)))
    return hosts


def connect(settings: RedisSettings, url: str | None = None, **options: Any) -> Redis:
    """A client for the system of record. ``url`` overrides ``settings.url`` (embedded Redis)."""
    options.setdefault("health_check_interval", 30)
    if settings.sentinels:
        sentinel = Sentinel(_sentinel_hosts(settings.sentinels), **options)  # type: ignore[no-untyped-call]
        master: Redis = sentinel.master_for(settings.sentinel_master)
        return master
    client: Redis = aioredis.Redis.from_url(url or settings.url, **options)
    return client


def arq_settings(settings: RedisSettings, url: str | None = None) -> ArqRedisSettings:
    """The same Redis as seen by arq (which builds its own pool)."""
    if settings.sentinels:
        return ArqRedisSettings(
            host=_sentinel_hosts(settings.sentinels),
            sentinel=True,
            sentinel_master=settings.sentinel_master,
        )
    return ArqRedisSettings.from_dsn(url or settings.url)


async def awaited(value: Awaitable[T] | T) -> T:
    """Await a redis-py command result with its precise type.

    redis-py annotates asyncio commands as ``Awaitable[T] | T`` (one signature for both
    clients), which mypy cannot await; this narrows it without a cast at every call.
    """
    if inspect.isawaitable(value):
        return await value
    return value


def as_text(value: object) -> str:
    """A reply as ``str``: this client returns bytes (binary state strings need them)."""
    return value.decode() if isinstance(value, bytes) else str(value)
