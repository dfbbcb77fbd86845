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
the machine can do, so what is measured is the cost of sending, not the limiter. Every
client uses the same concurrency (``--concurrency``; the workers' max_in_flight too); pywa
can also run at other levels (``--pywa-concurrency 16 64 256``). Beside each broadcast:
the CPU the workers, Redis and the simulator used per message (on a small machine they
share the cores, so together they bound the rate).

    .venv/bin/python -m benchmarks.send_throughput [--recipients 100000] [--workers 1 2]
    .venv/bin/python -m benchmarks.send_throughput --rss --recipients 1000000 --workers 1
    .venv/bin/python -m benchmarks.send_throughput --latency 0.1 --recipients 20000 --workers 1 2

``--latency S``: the simulator answers every send S seconds late, as an API across the
internet does (tens to hundreds of milliseconds). A worker then sends at most
``max_in_flight / S`` per second whatever its CPU: there more workers add throughput, even
on a machine with few cores.
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
from broadcaster.simulator.remote import RemoteSimulator
from broadcaster.typed_config import Secret

REPO = Path(__file__).resolve().parent.parent
TOKEN = "bench-token"
NUMBER = "1000000000001"


@dataclasses.dataclass(frozen=True)
class Simulator:
    url: str
    pid: int
    port: int


@contextlib.contextmanager
def simulator(log: Path) -> Iterator[Simulator]:
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
            yield Simulator(url, process.pid, port)
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


def bench_settings(redis_url: str, sim_url: str, concurrency: int = 64) -> Settings:
    base = load_settings(REPO / "config.toml", {})
    wa = dataclasses.replace(
        base.whatsapp,
        api_base_url=sim_url,
        access_token=Secret(TOKEN),
        phone_number_ids=[NUMBER],
        messages_per_second=100_000.0,
        rate_safety=1.0,
        pair_interval=timedelta(0),
        max_in_flight=concurrency,
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
        "BROADCASTER_WORKER__METRICS_PORT": "0",  # any free one: nobody scrapes these
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
        env = worker_env(settings)
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


async def redis_cpu_seconds(deps: Deps) -> float:
    info = await deps.redis.info("cpu")
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


async def watch(
    deps: Deps,
    incident_id: str,
    processes: list[subprocess.Popen[bytes]],
    simulator_pid: int,
    watch_rss: bool,
) -> dict[str, Any]:
    """Follow the notice from its first accepted message to its last; sample RSS meanwhile."""
    broadcasts = await wait_until(lambda: deps.broadcasts.for_incident(incident_id), 120, 0.05)
    notice = broadcasts[0]
    first = 0.0
    rss: list[tuple[int, float]] = []  # (messages sent, RSS of the workers in MiB)
    cpu_start = sum(cpu_seconds(p.pid) for p in processes)
    redis_start, sim_start = await redis_cpu_seconds(deps), cpu_seconds(simulator_pid)
    while True:
        tally = await deps.broadcasts.tally(notice.id)
        now = time.monotonic()
        first = first or (now if tally.sent else 0.0)
        if watch_rss and first:
            rss.append((tally.sent, sum(rss_mib(p.pid) for p in processes)))
        if tally.sent + tally.failed + tally.skipped >= notice.total:
            break
        await asyncio.sleep(0.1)
    cpu = sum(cpu_seconds(p.pid) for p in processes) - cpu_start
    redis_cpu = await redis_cpu_seconds(deps) - redis_start
    sim_cpu = cpu_seconds(simulator_pid) - sim_start
    result: dict[str, Any] = {
        "recipients": notice.total,
        "seconds": round(now - first, 2),
        "rate": round(notice.total / (now - first)),
        "cpu_us_per_message": round(cpu / notice.total * 1e6),
        "redis_us_per_message": round(redis_cpu / notice.total * 1e6),
        "simulator_us_per_message": round(sim_cpu / notice.total * 1e6),
    }
    if rss:
        result["rss"] = rss
    return result


def rss_report(samples: list[tuple[int, float]], points: int = 11) -> str:
    """Worker RSS at evenly spaced moments of the broadcast, then its range after warm-up."""
    picks = [samples[round(i * (len(samples) - 1) / (points - 1))] for i in range(points)]
    series = ", ".join(f"{sent // 1000}k:{mib:.0f}" for sent, mib in picks)
    settled = [mib for _, mib in samples[len(samples) // 10 :]]
    return (
        f"worker RSS MiB by messages sent: {series}\n"
        f"  {len(samples)} samples; after the first 10%: min {min(settled):.1f}, "
        f"max {max(settled):.1f} MiB"
    )


async def broadcast_rate(
    redis_url: str,
    sim: Simulator,
    recipients: int,
    workers: int,
    logs: Path,
    watch_rss: bool,
    concurrency: int = 64,
) -> dict[str, Any]:
    """Run one broadcast with ``workers`` worker processes; messages/s from first to last."""
    settings = bench_settings(redis_url, sim.url, concurrency)
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
            return await watch(deps, incident.id, processes, sim.pid, watch_rss)
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                process.wait()


def notice_for_pywa() -> tuple[str, str, list[str], list[str]]:
    """The notice our broadcasts send (name, language, header and body values), rendered
    from the template catalogue with the sample context ``templates check`` uses."""
    from broadcaster.bootstrap import load_assets
    from broadcaster.domain.templates import Kind
    from broadcaster.services.template_check import sample_context

    settings = load_settings(REPO / "config.toml", {})
    _, renderer = load_assets(settings, REPO)
    language = settings.app.default_language
    context = sample_context(language, settings.app.business_name)
    message = renderer.render(Kind.NOTICE, language, context)
    template = message.template
    return template.name, template.code, list(message.header), list(message.body)


async def pywa_rate(sim_url: str, concurrency: int, seconds: float) -> int:
    """A plain concurrent loop over pywa_async.WhatsApp.send_template."""
    from pywa_async.client import WhatsApp
    from pywa_async.types.templates import BodyText, HeaderText, TemplateLanguage

    # keep-alive for every connection, as our client does (httpx keeps 20 by default)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    session = httpx.AsyncClient(limits=limits)
    wa = WhatsApp(phone_id=NUMBER, token=TOKEN, session=session, api_version="24.0")
    session.base_url = f"{sim_url}/v24.0"
    recipients = (f"62812{n:08d}" for n in itertools.count())
    sent = 0
    name, code, texts, values = notice_for_pywa()
    header: list[Any] = texts  # pywa's params() is typed as if it took itself
    body: list[Any] = values
    params: list[Any] = []
    if header:
        params.append(HeaderText.params(*header))
    if body:
        params.append(BodyText.params(*body))
    language = TemplateLanguage(code)

    async def loop(deadline: float) -> None:
        nonlocal sent
        while time.monotonic() < deadline:
            await wa.send_template(to=next(recipients), name=name, language=language, params=params)
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
    parser.add_argument(
        "--pywa-concurrency", type=int, nargs="+", help="pywa levels (default: --concurrency)"
    )
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rss", action="store_true", help="sample worker RSS during the run")
    parser.add_argument(
        "--latency", type=float, default=0.0, help="the simulator answers this many seconds late"
    )
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
    with embedded_redis() as redis_url, simulator(logs / "simulator.log") as sim:
        if args.latency:
            # every send answered late: the simulator's slow-reply fault for all of them
            RemoteSimulator(sim.port).set_faults(slow_ratio=1.0, slow_delay_s=args.latency)
            ceiling = args.concurrency / args.latency
            print(f"simulator answers {args.latency:g} s late: at most {ceiling:.0f}/s per client")
        for level in args.pywa_concurrency or [args.concurrency]:
            try:
                pywa = asyncio.run(pywa_rate(sim.url, level, args.seconds))
                print(f"pywa loop -> simulator   {pywa:>7} messages/s (concurrency {level})")
            except Exception as exc:
                print(f"pywa loop -> simulator   failed: {exc!r}")
        for workers in args.workers:
            result = asyncio.run(
                broadcast_rate(
                    redis_url, sim, args.recipients, workers, logs, args.rss, args.concurrency
                )
            )
            share = result["rate"] / raw
            print(
                f"broadcaster x{workers} worker{'s' if workers > 1 else ' '} "
                f"{result['rate']:>7} messages/s ({share:.0%} of raw), "
                f"{result['recipients']} recipients in {result['seconds']} s; CPU per message: "
                f"worker{'s' if workers > 1 else ''} {result['cpu_us_per_message']} us, "
                f"Redis {result['redis_us_per_message']} us, "
                f"simulator {result['simulator_us_per_message']} us"
            )
            if "rss" in result:
                print("  " + rss_report(result["rss"]))


if __name__ == "__main__":
    main()
