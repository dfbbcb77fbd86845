"""Shared fixtures: a private redis-server per test session, settings built in code.

The suite never touches a Redis it did not start: ``redis_url`` points at a server this
session launched on a free port, and it is flushed before every test that uses it.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from broadcaster.adapters.redis_connection import Redis, connect
from broadcaster.bootstrap import Deps, build_deps
from broadcaster.config import RedisSettings, Settings, load_settings
from broadcaster.embedded_redis import embedded_redis
from broadcaster.web.app import create_app

REPO = Path(__file__).resolve().parent.parent
PAYLOADS = Path(__file__).resolve().parent / "payloads"


@pytest.fixture(scope="session")
def redis_server() -> Iterator[str]:
    with embedded_redis() as url:
        yield url


@pytest.fixture
async def redis_url(redis_server: str) -> str:
    client = connect(RedisSettings(), redis_server)
    await client.flushall()
    await client.aclose()
    return redis_server


@pytest.fixture
async def redis_client(redis_url: str) -> AsyncIterator[Redis]:
    client = connect(RedisSettings(), redis_url)
    yield client
    await client.aclose()


def env_for(values: dict[str, Any]) -> dict[str, str]:
    """``{"http": {"port": 1}}`` -> ``{"BROADCASTER_HTTP__PORT": "1"}``."""
    env: dict[str, str] = {}

    def walk(prefix: str, node: dict[str, Any]) -> None:
        for key, value in node.items():
            name = f"{prefix}__{key.upper()}" if prefix else f"BROADCASTER_{key.upper()}"
            if isinstance(value, dict):
                walk(name, value)
            elif isinstance(value, list):
                env[name] = ",".join(str(v) for v in value)
            else:
                env[name] = str(value).lower() if isinstance(value, bool) else str(value)

    walk("", values)
    return env


@pytest.fixture
def make_settings() -> Callable[..., Settings]:
    """Settings from the repository's config.toml plus overrides given as nested dicts."""

    def make(overrides: dict[str, Any] | None = None) -> Settings:
        return load_settings(REPO / "config.toml", env_for(overrides or {}))

    return make


BOOTSTRAP_TOKEN = "test-bootstrap-token"
APP_SECRET = "test-app-secret"
VERIFY_TOKEN = "test-verify-token"


@pytest.fixture
def settings(make_settings: Callable[..., Settings], redis_url: str) -> Settings:
    """Settings for in-process tests: the private Redis, known secrets, fast timings."""
    return make_settings(
        {
            "redis": {"url": redis_url},
            "api": {"bootstrap_token": BOOTSTRAP_TOKEN},
            "whatsapp": {
                "access_token": "sim-access-token",
                "app_secret": APP_SECRET,
                "verify_token": VERIFY_TOKEN,
                "phone_number_ids": ["1000000000001"],
                "api_base_url": "http://127.0.0.1:9",
                "reconcile_after": "40s",
            },
        }
    )


@pytest.fixture
async def deps(settings: Settings, redis_url: str) -> AsyncIterator[Deps]:
    async with build_deps(settings, redis_url) as built:
        yield built


@pytest.fixture
async def api(deps: Deps, aiohttp_client: Any) -> Any:
    """An aiohttp test client of ``broadcaster serve``'s app, authorised as admin."""
    client = await aiohttp_client(create_app(deps))
    client.session.headers["Authorization"] = f"Bearer {BOOTSTRAP_TOKEN}"
    return client


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """For tests that call setup_logging: give the root logger its handlers back afterwards."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    quiet = {name: logging.getLogger(name).level for name in ("aiohttp.access", "arq.jobs")}
    yield
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)
    for name, old in quiet.items():
        logging.getLogger(name).setLevel(old)
