"""Fixtures of the directory's integration tests."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from broadcaster.__main__ import main
from tests.conftest import REPO, env_for


@pytest.fixture
def cli(redis_url: str, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Awaitable[int]]:
    """``await cli("customers", "import", ...)``: the ``broadcaster`` command in this process
    on the test's Redis and the repository's files; keyword arguments override settings."""
    env = env_for({"redis": {"url": redis_url}, "log": {"format": "console"}})
    env["BROADCASTER_CONFIG"] = str(REPO / "config.toml")
    env["BROADCASTER_PATHS__SEGMENTS"] = str(REPO / "segments")
    env["BROADCASTER_PATHS__TEMPLATES"] = str(REPO / "templates")

    async def run(*args: str, **overrides: Any) -> int:
        for name, value in {**env, **env_for(overrides)}.items():
            monkeypatch.setenv(name, value)
        return await asyncio.to_thread(main, list(args))  # main runs its own event loop

    return run


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path
