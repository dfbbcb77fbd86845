"""Requests per second the simulator answers, beside a bare aiohttp handler (the baseline).

Each server runs in its own process, the client in this one: ``--concurrency`` keep-alive
connections post a 2-parameter template send to distinct recipients for ``--seconds``.
The simulator runs uncapped (``messages_per_second=0``) with the pair limit on, once with
no webhook URL and once posting signed status webhooks to a sink in its own process.

Two figures per server: requests/s (best of ``--rounds``: other load on the machine only
lowers it) and the server's CPU time per request (median; what it costs, whatever the
client or the neighbours do). Run:

    .venv/bin/python -m benchmarks.simulator_rate
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import multiprocessing
import statistics
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

import aiohttp
from aiohttp import web

from broadcaster.listening import serving_app
from broadcaster.simulator import ApprovedTemplate, SimulatorConfig, run_simulator

PHONE_NUMBER_ID = "1000000000001"
TOKEN = "bench-token"
TEMPLATE = ApprovedTemplate("outage_notice_v1", "id", body_text="Gangguan di {{1}} hingga {{2}}.")
CANNED = json.dumps(
    {
        "messaging_product": "whatsapp",
        "contacts": [{"input": "6281200000000", "wa_id": "6281200000000"}],
        "messages": [{"id": "wamid.X", "message_status": "accepted"}],
    }
).encode()
KINDS = ("bare-aiohttp", "simulator", "simulator+webhooks")


def body_for(recipient: str) -> dict[str, Any]:
    return {
        "messaging_product": "whatsapp",
        "to": recipient,
        "type": "template",
        "biz_opaque_callback_data": "bench",
        "template": {
            "name": TEMPLATE.name,
            "language": {"code": TEMPLATE.language},
            "components": [
                {
                    "type": "body",
                    "parameters": [
                        {"type": "text", "text": "Jakarta Selatan"},
                        {"type": "text", "text": "14:30 WIB"},
                    ],
                }
            ],
        },
    }


@dataclass
class ServerResult:
    requests: int
    cpu_s: float
    statuses_posted: int


async def _serve_bare(conn: Connection) -> None:
    served = 0

    async def handler(request: web.Request) -> web.Response:
        nonlocal served
        served += 1
        await request.read()
        return web.Response(body=CANNED, content_type="application/json")

    app = web.Application()
    app.router.add_post("/{version}/{node}/messages", handler)
    async with serving_app(app) as url:
        cpu = time.process_time()
        conn.send(url)
        await asyncio.get_running_loop().run_in_executor(None, conn.recv)
        conn.send(ServerResult(served, time.process_time() - cpu, 0))


async def _serve_simulator(conn: Connection, webhooks: bool) -> None:
    async def sink(request: web.Request) -> web.Response:
        await request.read()
        return web.Response()

    sink_app = web.Application()
    sink_app.router.add_post("/hook", sink)
    async with serving_app(sink_app) as sink_url:
        config = SimulatorConfig(
            access_token=TOKEN,
            phone_number_ids=(PHONE_NUMBER_ID,),
            templates=(TEMPLATE,),
            messages_per_second=0,
            webhook_url=f"{sink_url}/hook" if webhooks else None,
        )
        async with run_simulator(config) as running:
            cpu = time.process_time()
            conn.send(running.url)
            await asyncio.get_running_loop().run_in_executor(None, conn.recv)
            await running.simulator.wait_webhooks_idle(timeout=60)
            report = running.simulator.report()
            used = time.process_time() - cpu
            conn.send(
                ServerResult(
                    report["requests"]["messages"], used, report["webhooks"]["statuses_posted"]
                )
            )


def _server_process(kind: str, conn: Connection) -> None:
    if kind == "bare-aiohttp":
        asyncio.run(_serve_bare(conn))
    else:
        asyncio.run(_serve_simulator(conn, webhooks=kind == "simulator+webhooks"))


async def _load(url: str, concurrency: int, seconds: float) -> tuple[int, int]:
    """(requests/s answered 200 after a 0.5 s warm-up, non-200 answers)."""
    recipients = (f"62812{n:08d}" for n in itertools.count())
    ok = errors = 0
    connector = aiohttp.TCPConnector(limit=concurrency)
    headers = {"Authorization": f"Bearer {TOKEN}"}
    endpoint = f"{url}/v24.0/{PHONE_NUMBER_ID}/messages"
    async with aiohttp.ClientSession(connector=connector, headers=headers) as session:

        async def worker(deadline: float) -> None:
            nonlocal ok, errors
            while time.monotonic() < deadline:
                async with session.post(endpoint, json=body_for(next(recipients))) as response:
                    await response.read()
                    if response.status == 200:
                        ok += 1
                    else:
                        errors += 1

        await asyncio.gather(*(worker(time.monotonic() + 0.5) for _ in range(concurrency)))
        ok = errors = 0
        started = time.monotonic()
        await asyncio.gather(*(worker(started + seconds) for _ in range(concurrency)))
        elapsed = time.monotonic() - started
    return round(ok / elapsed), errors


def measure(kind: str, concurrency: int, seconds: float) -> tuple[int, int, ServerResult]:
    """One run against a fresh server process of ``kind``."""
    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe()
    process = context.Process(target=_server_process, args=(kind, child))
    process.start()
    try:
        url = parent.recv()
        rate, errors = asyncio.run(_load(url, concurrency, seconds))
        parent.send("stop")
        result: ServerResult = parent.recv()
    finally:
        process.join(timeout=30)
        if process.is_alive():
            process.terminate()
    return rate, errors, result


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    rates: dict[str, list[int]] = {kind: [] for kind in KINDS}
    cpu_us: dict[str, list[float]] = {kind: [] for kind in KINDS}
    errors = statuses = 0
    for _ in range(args.rounds):
        for kind in KINDS:
            rate, failed, result = measure(kind, args.concurrency, args.seconds)
            rates[kind].append(rate)
            cpu_us[kind].append(result.cpu_s / max(result.requests, 1) * 1e6)
            errors += failed
            statuses += result.statuses_posted
    print(f"{args.concurrency} connections, {args.rounds} rounds of {args.seconds:g} s per server")
    for kind in KINDS:
        best, cpu = max(rates[kind]), statistics.median(cpu_us[kind])
        print(f"{kind:>18}: {best:6d} requests/s best, {cpu:5.0f} us server CPU per request")
    print(f"non-200 answers: {errors}; statuses posted to the sink: {statuses}")


if __name__ == "__main__":
    main()
