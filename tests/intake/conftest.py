"""Fixtures for intake tests: a clock the test moves, settings with every receiver secured."""

from __future__ import annotations

import io
import json
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from broadcaster.bootstrap import Deps, build_deps
from broadcaster.config import Settings
from broadcaster.services.intake import IntakeService
from broadcaster.web.webhooks_intake import INTAKE
from tests.conftest import BOOTSTRAP_TOKEN, PAYLOADS

AM_TOKEN = "am-bearer-token-0123456789"
GRAFANA_SECRET = "grafana-test-hmac-secret"
PD_SECRET = "pd-test-secret-new-7f2b4d"
STATUSPAGE_TOKEN = "sp-url-token-0123456789"
COMMANDER_TOKEN = "commander-token-0123456789"
VIEWER_TOKEN = "viewer-token-0123456789ab"


class FakeClock:
    """A clock that moves only when the test says so."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


def payload(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((PAYLOADS / name).read_text())
    return data


def intake_overrides(redis_url: str) -> dict[str, Any]:
    return {
        "redis": {"url": redis_url},
        "api": {
            "bootstrap_token": BOOTSTRAP_TOKEN,
            "tokens": {
                "carol": {"role": "commander", "token": COMMANDER_TOKEN},
                "victor": {"role": "viewer", "token": VIEWER_TOKEN},
            },
        },
        "whatsapp": {"api_base_url": "http://127.0.0.1:9", "phone_number_ids": ["1000000000001"]},
        "intake": {
            "fire_for": "2m",
            "resolve_after": "5m",
            "reopen_cooldown": "30m",
            "alertmanager": {"bearer_token": AM_TOKEN},
            "grafana": {"hmac_secret": GRAFANA_SECRET},
            "pagerduty": {"signing_secret": PD_SECRET},
            "statuspage": {"token": STATUSPAGE_TOKEN},
        },
        "policy": {
            "segments": json.dumps(
                [
                    {"segments": ["fiber"], "match": {"service": ["fiber"]}},
                    {
                        "segments": ["mobile-data"],
                        "match": {"service": ["public-api", "Public API"]},
                    },
                    {"segments": ["fiber"], "match": {"component": "Checkout"}},
                ]
            )
        },
    }


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 11, 24, 3, 40, tzinfo=UTC))


@pytest.fixture
def settings(make_settings: Callable[..., Settings], redis_url: str) -> Settings:
    """The suite's settings with every receiver secured and config tokens (overrides the root)."""
    return make_settings(intake_overrides(redis_url))


@pytest.fixture
async def deps(settings: Settings, redis_url: str, clock: FakeClock) -> AsyncIterator[Deps]:
    """The root fixture's deps on the test's clock."""
    async with build_deps(settings, redis_url, clock=clock) as built:
        yield built


@pytest.fixture
def intake(api: Any) -> IntakeService:
    service: IntakeService = api.app[INTAKE]
    return service


async def snapshot(redis: Any) -> dict[bytes, bytes]:
    """Every key with its serialized value: equal snapshots mean nothing was written."""
    return {key: await redis.dump(key) for key in sorted(await redis.keys("*"))}


@pytest.fixture
def hooks(api: Any) -> Any:
    """The app's client without the admin token: senders present only their own credentials."""
    api.session.headers.pop("Authorization", None)
    return api


async def post(api: Any, path: str, data: Any, headers: dict[str, str] | None = None) -> Any:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    merged = {"Content-Type": "application/json", **(headers or {})}
    return await api.post(path, data=io.BytesIO(raw), headers=merged)
