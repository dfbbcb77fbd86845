"""Audience benchmark: resolve 200,000 of 1,000,000 customers, and iterate an audience for sending.

    python -m benchmarks.audience [--customers 1000000]

Loads the customers straight through ``Directory.upsert`` (the import is measured by
``benchmarks.customer_import``), then times, in the same run:

- the floor: one BITOP AND of the attribute bitmap with the opt-in bitmap and a GET of the
  result, which is what any bitmap design must at least do;
- the naive alternative: read every record (MGET in batches) and filter in Python;
- ``Audiences.resolve`` as a notice broadcast calls it: rule, opt-in, opt-out, tier order,
  a 5% holdout, the send list, the holdout list and the eligible bitmap written to Redis;

and the peak RSS of a fresh process that resolves an audience and then reads it back the way
sending does (500 ordinals and their records at a time), for 200,000 and for 1,000,000.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import subprocess
import sys
import time

from broadcaster.adapters.audience import (
    Audiences,
    AudienceSummary,
    Destination,
    holdout_seed,
    unpack,
)
from broadcaster.adapters.bitmaps import ORDINAL
from broadcaster.adapters.customer_records import decode
from broadcaster.adapters.directory import Directory
from broadcaster.adapters.keys import Keys
from broadcaster.adapters.redis_connection import Redis, connect
from broadcaster.config import RedisSettings, Settings
from broadcaster.domain.customers import Customer
from broadcaster.domain.segments import EVERYONE, Equals, Rule
from broadcaster.embedded_redis import embedded_redis

TIERS = Settings().tiers.order
RULES: dict[str, Rule] = {"zone-0": Equals("zone", ("z0",)), "everyone": EVERYONE}


def customers(start: int, count: int) -> list[Customer]:
    """Five zones (one is the 200,000 audience), 3% not opted in, tiers 2/8/20/70%."""
    out = []
    for i in range(start, start + count):
        share = (i * 2654435761) % 100
        tier = TIERS[0 if share < 2 else 1 if share < 10 else 2 if share < 30 else 3]
        out.append(
            Customer(
                f"CUST-{i:08d}",
                f"+62812{i:08d}",
                i % 33 != 0,
                f"Customer {i}",
                "en" if i % 7 == 0 else "id",
                "Asia/Jakarta",
                tier,
                {"zone": f"z{i % 5}", "region": f"prov-{i % 34:02d}", "service": "fiber"},
            )
        )
    return out


async def load(redis: Redis, count: int) -> None:
    directory = Directory(redis, Keys())
    for start in range(0, count, 2000):
        await directory.upsert(customers(start, min(2000, count - start)))


async def floor(redis: Redis) -> float:
    keys = Keys()
    started = time.perf_counter()
    await redis.bitop("AND", "bench:floor", keys.index("zone", "z0"), keys.opted_in)
    await redis.get("bench:floor")
    elapsed = time.perf_counter() - started
    await redis.delete("bench:floor")
    return elapsed


async def naive(redis: Redis, count: int) -> tuple[float, int]:
    """Every record read and matched in Python: what the bitmap indexes avoid."""
    keys = Keys()
    started = time.perf_counter()
    found = 0
    for start in range(1, count + 1, 1000):
        records = await redis.mget([keys.customer(o) for o in range(start, start + 1000)])
        for record in records:
            if record is not None:
                customer = decode(record)
                found += customer.opt_in and customer.attributes.get("zone") == "z0"
    return time.perf_counter() - started, found


async def resolve_times(redis: Redis, runs: int = 5) -> tuple[list[float], AudienceSummary]:
    audiences = Audiences(redis, Keys(), TIERS)
    times: list[float] = []
    for run in range(runs):
        started = time.perf_counter()
        summary = await audiences.resolve(
            RULES["zone-0"],
            holdout_per_million=50_000,
            seed=holdout_seed(f"INC-{run}"),
            destination=Destination("bench:send", "bench:held", "bench:eligible"),
        )
        times.append(time.perf_counter() - started)
    await redis.delete("bench:send", "bench:held", "bench:eligible")
    return times, summary  # the last run's


async def iterate(url: str, rule: str) -> dict[str, int]:
    """Resolve ``rule`` and read it back in sending chunks; report the peak RSS."""
    redis = connect(RedisSettings(), url)
    keys = Keys()
    directory = Directory(redis, keys)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    summary = await Audiences(redis, keys, TIERS).resolve(
        RULES[rule], destination=Destination(send_list="bench:iter")
    )
    read = 0
    for start in range(0, summary.notified, 500):
        stop = min(start + 500, summary.notified)
        packed = await redis.getrange("bench:iter", start * ORDINAL.size, stop * ORDINAL.size - 1)
        read += sum(c is not None for c in await directory.get_many(unpack(packed)))
    await redis.delete("bench:iter")
    await redis.aclose()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"recipients": read, "rss_before_kb": before, "rss_peak_kb": peak}


def iterate_in_child(url: str, rule: str) -> dict[str, int]:
    command = [sys.executable, "-m", "benchmarks.audience", "--iterate", url, rule]
    result: dict[str, int] = json.loads(subprocess.check_output(command))
    return result


async def measure(url: str, count: int) -> None:
    redis = connect(RedisSettings(), url)
    started = time.perf_counter()
    await load(redis, count)
    print(
        f"customers: {count:,} (loaded in {time.perf_counter() - started:.0f} s)  "
        f"cores: {os.cpu_count()}  load average: {os.getloadavg()[0]:.1f}"
    )
    print(f"floor     BITOP AND + GET of the result:       {await floor(redis) * 1000:8.1f} ms")
    elapsed, found = await naive(redis, count)
    print(f"baseline  read every record, filter in Python: {elapsed * 1000:8.1f} ms  ({found:,})")
    times, summary = await resolve_times(redis)
    print(
        f"resolve   median {statistics.median(times) * 1000:.1f} ms, "
        f"max {max(times) * 1000:.1f} ms over {len(times)} runs: affected {summary.affected:,}, "
        f"eligible {summary.eligible:,}, notified {summary.notified:,}, "
        f"holdout {summary.holdout:,}, by tier {summary.by_tier}"
    )
    await redis.aclose()
    for rule in RULES:
        figures = iterate_in_child(url, rule)
        print(
            f"iterate   {rule:<9} {figures['recipients']:>9,} recipients: peak RSS "
            f"{figures['rss_peak_kb'] / 1024:.0f} MB (after start-up "
            f"{figures['rss_before_kb'] / 1024:.0f} MB)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--iterate", nargs=2, metavar=("URL", "RULE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.iterate:
        print(json.dumps(asyncio.run(iterate(*args.iterate))))
        return
    with embedded_redis() as url:
        asyncio.run(measure(url, args.customers))


if __name__ == "__main__":
    main()
