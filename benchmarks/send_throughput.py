"""Messages per second a broadcast reaches, beside what the loopback allows, in one run.

Figures, all against servers in their own processes on this machine:
  raw aiohttp   a bare aiohttp client loop against a bare aiohttp handler (the ceiling)
  simulator     the same client loop against the Cloud API simulator
  pywa          a plain loop over pywa's async client (what a user would otherwise write),
                same simulator, same concurrency
  broadcaster   `broadcaster worker` processes running a real broadcast: audience from
                Redis, template rendering, pacing leases, intent recorded before each
                request, outcomes recorded after, all bookkeeping included
The simulator runs uncapped, without status webhooks; our pacing is set far above what
the machine can do, so what is measured is the cost of sending, not the limiter.

    .venv/bin/python -m benchmarks.send_throughput [--recipients 100000] [--workers 1 2]
    .venv/bin/python -m benchmarks.send_throughput --rss --recipients 1000000 --workers 1
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import itertools
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx

from benchmarks.simulator_rate import measure
from broadcaster.bootstrap import Deps, build_deps
from broadcaster.config import Settings, load_settings
from broadcaster.demo_data import sample_customers
from broadcaster.domain.incidents import Actor, Declaration, Severity
from broadcaster.embedded_redis import embedded_redis, free_port
from broadcaster.local_stack import wait_until
from broadcaster.typed_config import Secret

REPO = Path(__file__).resolve().parent.parent
TOKEN = "bench-token"
NUMBER = "1000000000001"


@contextlib.contextmanager
def simulator(log: Path) -> Iterator[str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("BROADCASTER_")}
    env |= {
        "BROADCASTER_SIMULATOR__MESSAGES_PER_SECOND": "0",
        "BROADCASTER_SIMULATOR__PAIR_INTERVAL": "0s",
        "BROADCASTER_WHATSAPP__ACCESS_TOKEN": TOKEN,
        "BROADCASTER_WHATSAPP__PHONE_NUMBER_IDS": NUMBER,
        "BROADCASTER_LOG__LEVEL": "WARNING",
    }
    with (
        log.open("wb") as sink,
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "broadcaster",
                "simulator",
                "--no-webhooks",
                "--port",
                str(port),
            ],
            cwd=REPO,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        ) as process,
    ):
        url = f"http://127.0.0.1:{port}"
        _wait_http(url + "/healthz")
        try:
            yield url
        finally:
            process.terminate()
            process.wait()


def _wait_http(url: str) -> None:
    import urllib.request

    for _ in range(300):
        try:
            urllib.request.urlopen(url, timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{url} did not come up")


def bench_settings(redis_url: str, sim_url: str) -> Settings:
    base = load_settings(REPO / "config.toml", {})
    wa = dataclasses.replace(
        base.whatsapp,
        api_base_url=sim_url,
        access_token=Secret(TOKEN),
        phone_number_ids=[NUMBER],
        messages_per_second=100_000.0,
        rate_safety=1.0,
        pair_interval=timedelta(0),
        max_in_flight=64,
    )
    broadcast = dataclasses.replace(base.broadcast, chunk_size=2000, parallel_chunks=8)
    return dataclasses.replace(
        base,
        redis=dataclasses.replace(base.redis, url=redis_url, url_was_set=True),
        whatsapp=wa,
        broadcast=broadcast,
    )


def worker_env(settings: Settings) -> dict[str, str]:
    wa = settings.whatsapp
    env = {k: v for k, v in os.environ.items() if not k.startswith("BROADCASTER_")}
    env |= {
        "BROADCASTER_REDIS__URL": settings.redis.url,
        "BROADCASTER_WHATSAPP__API_BASE_URL": wa.api_base_url,
        "BROADCASTER_WHATSAPP__ACCESS_TOKEN": TOKEN,
        "BROADCASTER_WHATSAPP__PHONE_NUMBER_IDS": NUMBER,
        "BROADCASTER_WHATSAPP__MESSAGES_PER_SECOND": str(wa.messages_per_second),
        "BROADCASTER_WHATSAPP__RATE_SAFETY": "1.0",
        "BROADCASTER_WHATSAPP__PAIR_INTERVAL": "0s",
        "BROADCASTER_WHATSAPP__MAX_IN_FLIGHT": str(wa.max_in_flight),
        "BROADCASTER_BROADCAST__CHUNK_SIZE": str(settings.broadcast.chunk_size),
        "BROADCASTER_BROADCAST__PARALLEL_CHUNKS": str(settings.broadcast.parallel_chunks),
        "BROADCASTER_WORKER__POLL_DELAY": "0.05s",
        "BROADCASTER_LOG__LEVEL": "WARNING",
    }
    return env


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used (whatever else the machine is doing)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def spawn_workers(settings: Settings, count: int, logs: Path) -> list[subprocess.Popen[bytes]]:
    processes = []
    for n in range(count):
        env = worker_env(settings) | {"BROADCASTER_WORKER__METRICS_PORT": str(free_port())}
        with (logs / f"worker-{n}.log").open("wb") as sink:
            processes.append(
                subprocess.Popen(
                    [sys.executable, "-m", "broadcaster", "worker"],
                    cwd=REPO,
                    env=env,
                    stdout=sink,
                    stderr=subprocess.STDOUT,
                )
            )
    return processes


async def watch(
    deps: Deps, incident_id: str, processes: list[subprocess.Popen[bytes]], watch_rss: bool
) -> dict[str, Any]:
    """Follow the notice from its first accepted message to its last; sample RSS meanwhile."""
    broadcasts = await wait_until(lambda: deps.broadcasts.for_incident(incident_id), 120, 0.05)
    notice = broadcasts[0]
    first = 0.0
    rss: list[float] = []
    cpu_start = sum(cpu_seconds(p.pid) for p in processes)
    while True:
        tally = await deps.broadcasts.tally(notice.id)
        now = time.monotonic()
        first = first or (now if tally.sent else 0.0)
        if watch_rss and first:
            rss.append(sum(rss_mib(p.pid) for p in processes))
        if tally.sent + tally.failed + tally.skipped >= notice.total:
            break
        await asyncio.sleep(0.1)
    cpu = sum(cpu_seconds(p.pid) for p in processes) - cpu_start
    result: dict[str, Any] = {
        "recipients": notice.total,
        "seconds": round(now - first, 2),
        "rate": round(notice.total / (now - first)),
        "cpu_us_per_message": round(cpu / notice.total * 1e6),
    }
    if rss:
        tenth = max(1, len(rss) // 10)
        result["rss_mib"] = {
            "first_10pct": round(max(rss[:tenth]), 1),
            "last_10pct": round(max(rss[-tenth:]), 1),
            "max": round(max(rss), 1),
        }
    return result


async def broadcast_rate(
    redis_url: str, sim_url: str, recipients: int, workers: int, logs: Path, watch_rss: bool
) -> dict[str, Any]:
    """Run one broadcast with ``workers`` worker processes; messages/s from first to last."""
    settings = bench_settings(redis_url, sim_url)
    async with build_deps(settings, redis_url) as deps:
        await deps.redis.flushall()
        customers = sample_customers(int(recipients / 0.95) + 1)
        for start in range(0, len(customers), 2000):
            await deps.directory.upsert(customers[start : start + 2000])
        incident = await deps.incidents.declare(
            Declaration("Benchmark outage", Severity.CRITICAL, ("fiber", "mobile-data")),
            Actor("bench", "bench"),
        )
        processes = spawn_workers(settings, workers, logs)
        try:
            return await watch(deps, incident.id, processes, watch_rss)
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                process.wait()


async def pywa_rate(sim_url: str, concurrency: int, seconds: float) -> int:
    """A plain concurrent loop over pywa_async.WhatsApp.send_template."""
    from pywa_async.client import WhatsApp
    from pywa_async.types.templates import BodyText, HeaderText, TemplateLanguage

    session = httpx.AsyncClient(limits=httpx.Limits(max_connections=concurrency))
    wa = WhatsApp(phone_id=NUMBER, token=TOKEN, session=session, api_version="24.0")
    session.base_url = f"{sim_url}/v24.0"
    recipients = (f"62812{n:08d}" for n in itertools.count())
    sent = 0
    # the same approved template our broadcasts send: 1 header and 5 body parameters
    header: list[Any] = ["NusaNet"]
    body: list[Any] = ["Siti", "Gangguan fiber", "Jakarta Selatan", "14:30", "17:30"]
    params = [HeaderText.params(*header), BodyText.params(*body)]

    async def loop(deadline: float) -> None:
        nonlocal sent
        while time.monotonic() < deadline:
            await wa.send_template(
                to=next(recipients),
                name="outage_notice",
                language=TemplateLanguage.INDONESIAN,
                params=params,
            )
            sent += 1

    started = time.monotonic()
    await asyncio.gather(*(loop(started + seconds) for _ in range(concurrency)))
    elapsed = time.monotonic() - started
    await session.aclose()
    return round(sent / elapsed)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--recipients", type=int, default=100_000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rss", action="store_true", help="sample worker RSS during the run")
    args = parser.parse_args()
    logs = Path(os.environ.get("TMPDIR", "/tmp")) / "broadcaster-bench"
    logs.mkdir(exist_ok=True)

    cpu = time.process_time()
    raw, _, _ = measure("bare-aiohttp", args.concurrency, args.seconds)
    raw_cpu_us = (time.process_time() - cpu) / (raw * (args.seconds + 0.5)) * 1e6
    sim_raw, _, _ = measure("simulator", args.concurrency, args.seconds)
    print(
        f"raw aiohttp loopback     {raw:>7} requests/s  (the ceiling, same machine, same run; "
        f"client CPU ~{raw_cpu_us:.0f} us/request)"
    )
    print(f"client loop -> simulator {sim_raw:>7} requests/s")
    with embedded_redis() as redis_url, simulator(logs / "simulator.log") as sim_url:
        try:
            pywa = asyncio.run(pywa_rate(sim_url, args.concurrency, args.seconds))
            print(f"pywa loop -> simulator   {pywa:>7} messages/s (concurrency {args.concurrency})")
        except Exception as exc:
            print(f"pywa loop -> simulator   failed: {exc!r}")
        for workers in args.workers:
            result = asyncio.run(
                broadcast_rate(redis_url, sim_url, args.recipients, workers, logs, args.rss)
            )
            share = result["rate"] / raw
            print(
                f"broadcaster x{workers} worker{'s' if workers > 1 else ' '} "
                f"{result['rate']:>7} messages/s ({share:.0%} of raw), "
                f"{result['recipients']} recipients in {result['seconds']} s, "
                f"worker CPU {result['cpu_us_per_message']} us/message"
                + (f", worker RSS MiB {result['rss_mib']}" if "rss_mib" in result else "")
            )


if __name__ == "__main__":
    main()
