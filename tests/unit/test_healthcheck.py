"""The image's HEALTHCHECK: healthy when either process of the container answers /healthz."""

from __future__ import annotations

import asyncio

from aiohttp import web

from broadcaster.embedded_redis import free_port
from broadcaster.healthcheck import main
from tests.conftest import REPO


async def serve_healthz(status: int) -> tuple[web.AppRunner, int]:
    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"}, status=status)

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner, port


def ports(http: int, metrics: int) -> dict[str, str]:
    return {"BROADCASTER_HTTP__PORT": str(http), "BROADCASTER_WORKER__METRICS_PORT": str(metrics)}


async def check(environ: dict[str, str]) -> int:
    # urllib blocks: run it beside the event loop that serves /healthz
    return await asyncio.to_thread(main, REPO / "config.toml", environ)


async def test_a_server_or_a_worker_answering_on_its_configured_port_is_healthy():
    runner, port = await serve_healthz(200)
    try:
        assert await check(ports(http=port, metrics=free_port())) == 0  # a server container
        assert await check(ports(http=free_port(), metrics=port)) == 0  # a worker container
    finally:
        await runner.cleanup()


async def test_nothing_listening_an_error_answer_or_a_broken_config_is_unhealthy():
    assert await check(ports(http=free_port(), metrics=free_port())) == 1
    runner, port = await serve_healthz(503)
    try:
        assert await check(ports(http=port, metrics=free_port())) == 1
    finally:
        await runner.cleanup()
    assert await check({"BROADCASTER_HTTP__PORT": "not-a-port"}) == 1
