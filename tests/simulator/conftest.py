"""Fixtures: the simulator on a real socket, a real webhook receiver, a client session.

Nothing is mocked: requests go over loopback TCP, webhooks come back signed over TCP and
the receiver checks the signature the way our webhook endpoint does.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from broadcaster.domain.signatures import meta_signature_valid
from broadcaster.simulator import RunningSimulator, SimulatorConfig, run_simulator
from tests.simulator.templates import ALL

VERSION = "v24.0"
PHONE_NUMBER_ID = "1000000000001"
TOKEN = "sim-access-token"
APP_SECRET = "sim-app-secret"


@dataclass
class WebhookReceiver:
    """Our side of the webhooks: records every correctly signed POST, can refuse some."""

    url: str = ""
    app_secret: str = APP_SECRET
    bodies: list[dict[str, Any]] = field(default_factory=list)
    attempts: int = 0
    bad_signatures: int = 0
    refuse_next: int = 0  # answer 500 to this many more POSTs

    async def handle(self, request: web.Request) -> web.Response:
        raw = await request.read()
        self.attempts += 1
        signature = request.headers.get("X-Hub-Signature-256", "")
        if not meta_signature_valid(self.app_secret, raw, signature):
            self.bad_signatures += 1
            return web.Response(status=403)
        if self.refuse_next > 0:
            self.refuse_next -= 1
            return web.Response(status=500)
        self.bodies.append(json.loads(raw))
        return web.Response(text="ok")

    def values(self) -> list[dict[str, Any]]:
        return [
            change["value"]
            for body in self.bodies
            for entry in body["entry"]
            for change in entry["changes"]
        ]

    def statuses(self) -> list[dict[str, Any]]:
        return [status for value in self.values() for status in value.get("statuses", [])]

    def messages(self) -> list[dict[str, Any]]:
        return [message for value in self.values() for message in value.get("messages", [])]

    def statuses_of(self, wamid: str) -> list[str]:
        return [s["status"] for s in self.statuses() if s["id"] == wamid]


@pytest.fixture
async def receiver() -> AsyncIterator[WebhookReceiver]:
    hook = WebhookReceiver()
    app = web.Application()
    app.router.add_post("/webhooks/whatsapp", hook.handle)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    hook.url = f"http://{host}:{port}/webhooks/whatsapp"
    yield hook
    await runner.cleanup()


StartSimulator = Callable[..., Awaitable[RunningSimulator]]


@pytest.fixture
async def start_simulator() -> AsyncIterator[StartSimulator]:
    """``await start_simulator(**config_overrides)``: fast, seeded defaults for tests."""
    async with contextlib.AsyncExitStack() as stack:

        async def start(**overrides: Any) -> RunningSimulator:
            fields: dict[str, Any] = {
                "templates": ALL,
                "status_delay_s": (0.0, 0.005),
                "webhook_flush_interval_s": 0.005,
                "webhook_retry_delays_s": (0.01, 0.02),
                "webhook_timeout_s": 2.0,
                "seed": 7,
                **overrides,
            }
            return await stack.enter_async_context(run_simulator(SimulatorConfig(**fields)))

        yield start


@pytest.fixture
async def client() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@dataclass
class Answer:
    status: int
    body: dict[str, Any]
    headers: Any

    @property
    def code(self) -> int | None:
        error = self.body.get("error")
        return error["code"] if error else None

    @property
    def wamid(self) -> str:
        return str(self.body["messages"][0]["id"])


async def post_message(
    client: aiohttp.ClientSession,
    running: RunningSimulator,
    payload: dict[str, Any] | bytes,
    *,
    token: str | None = TOKEN,
    phone_number_id: str = PHONE_NUMBER_ID,
    version: str = VERSION,
) -> Answer:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    url = f"{running.url}/{version}/{phone_number_id}/messages"
    data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    headers["Content-Type"] = "application/json"
    async with client.post(url, data=data, headers=headers) as response:
        return Answer(response.status, await response.json(), response.headers)


async def get_json(
    client: aiohttp.ClientSession, url: str, token: str | None = TOKEN
) -> tuple[int, dict[str, Any]]:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    async with client.get(url, headers=headers) as response:
        return response.status, await response.json()
