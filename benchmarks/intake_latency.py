"""How fast `POST /webhooks/alertmanager` answers, beside a bare aiohttp handler (the baseline).

Alertmanager, Grafana and PagerDuty give a webhook a few seconds before they retry it, so
the receiver must answer well under a second whatever the load. Each server runs in its own
process on a private `redis-server`: `broadcaster serve`'s real app (bearer check, body limit,
parse, signals recorded in Redis, the evaluation job queued), and a bare handler that reads
and parses the same body and answers 202. The client posts distinct alert groups (a new
fingerprint each), first one at a time (the latency a sender sees), then ``--concurrency``
at once (the rate a storm of alerts meets). Run:

    .venv/bin/python -m benchmarks.intake_latency [--requests 2000] [--concurrency 16]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import itertools
import json
import multiprocessing
import os
import statistics
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from broadcaster.bootstrap import build_deps
from broadcaster.config import load_settings
from broadcaster.embedded_redis import embedded_redis
from broadcaster.listening import serving_app
from broadcaster.typed_config import Secret
from broadcaster.web.app import create_app

REPO = Path(__file__).resolve().parent.parent
TOKEN = "bench-alertmanager-token"
KINDS = ("bare-aiohttp", "broadcaster serve")


def alert_group(n: int) -> dict[str, Any]:
    """Alertmanager's webhook body (version 4): one firing alert of a new group."""
    labels = {"alertname": "FiberLinkDown", "region": f"region-{n}", "severity": "critical"}
    return {
        "version": "4",
        "receiver": "outage-broadcaster",
        "status": "firing",
        "groupKey": f'{{}}:{{region="region-{n}"}}',
        "truncatedAlerts": 0,
        "groupLabels": {"region": f"region-{n}"},
        "commonLabels": labels,
        "commonAnnotations": {"summary": "Fibre link down"},
        "externalURL": "http://alertmanager.example:9093",
        "alerts": [
            {
                "status": "firing",
                "labels": labels,
                "annotations": {"summary": "Fibre link down"},
                "startsAt": "2026-12-06T09:00:00Z",
                "endsAt": "0001-01-01T00:00:00Z",
                "generatorURL": "http://prometheus.example:9090/graph",
                "fingerprint": f"{n:016x}",
            }
        ],
    }


async def _serve_until_stopped(app: web.Application, conn: Connection) -> None:
    """Serve ``app``, tell the parent its URL, stop when the parent says so."""
    async with serving_app(app) as url:
        conn.send(url)
        await asyncio.get_running_loop().run_in_executor(None, conn.recv)


async def _serve(kind: str, redis_url: str, conn: Connection) -> None:
    if kind == "bare-aiohttp":

        async def handler(request: web.Request) -> web.Response:
            json.loads(await request.read())
            return web.json_response({"signals": {"new": 1}}, status=202)

        app = web.Application()
        app.router.add_post("/webhooks/alertmanager", handler)
        await _serve_until_stopped(app, conn)
        return
    settings = load_settings(REPO / "config.toml", {})
    intake = settings.intake
    alertmanager = dataclasses.replace(intake.alertmanager, bearer_token=Secret(TOKEN))
    settings = dataclasses.replace(
        settings, intake=dataclasses.replace(intake, alertmanager=alertmanager)
    )
    async with build_deps(settings, redis_url) as deps:
        await _serve_until_stopped(create_app(deps), conn)


def _server_process(kind: str, redis_url: str, conn: Connection) -> None:
    asyncio.run(_serve(kind, redis_url, conn))


async def _load(url: str, requests: int, concurrency: int) -> tuple[list[float], float, int]:
    """Latencies one at a time (seconds), then requests/s at ``concurrency``; non-2xx count."""
    numbers = itertools.count()
    headers = {"Authorization": f"Bearer {TOKEN}"}
    endpoint = f"{url}/webhooks/alertmanager"
    refused = 0
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector, headers=headers) as session:

        async def post() -> float:
            nonlocal refused
            body = alert_group(next(numbers))
            began = time.perf_counter()
            async with session.post(endpoint, json=body) as response:
                await response.read()
                refused += response.status >= 300
            return time.perf_counter() - began

        for _ in range(50):  # warm-up: connections, caches, the first Redis scripts
            await post()
        latencies = [await post() for _ in range(requests)]

        async def worker(count: int) -> None:
            for _ in range(count):
                await post()

        started = time.perf_counter()
        await asyncio.gather(*(worker(requests // concurrency) for _ in range(concurrency)))
        rate = (requests // concurrency) * concurrency / (time.perf_counter() - started)
    return latencies, rate, refused


def measure(kind: str, redis_url: str, requests: int, concurrency: int) -> tuple[Any, ...]:
    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe()
    process = context.Process(target=_server_process, args=(kind, redis_url, child))
    process.start()
    try:
        url = parent.recv()
        result = asyncio.run(_load(url, requests, concurrency))
        parent.send("stop")
    finally:
        process.join(timeout=30)
        if process.is_alive():
            process.terminate()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    print(f"cores: {os.cpu_count()}  load average: {os.getloadavg()[0]:.1f}")
    with embedded_redis() as redis_url:
        for kind in KINDS:
            latencies, rate, refused = measure(kind, redis_url, args.requests, args.concurrency)
            ms = sorted(x * 1000 for x in latencies)
            p99 = ms[int(len(ms) * 0.99) - 1]
            print(
                f"{kind:>17}: one at a time median {statistics.median(ms):5.2f} ms, "
                f"p99 {p99:5.2f} ms, max {ms[-1]:6.2f} ms;  {args.concurrency} at once "
                f"{rate:6.0f} alerts/s;  non-2xx {refused}"
            )


if __name__ == "__main__":
    main()
