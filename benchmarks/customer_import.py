"""Import benchmark: a million-row CSV into a private Redis, with same-run baselines.

    python -m benchmarks.customer_import [--rows 1000000]

Prints, for the same file on the same machine: a plain ``csv.reader`` loop over the file (no
validation, no Redis), raw pipelined SETs of one record-sized value per row (the floor for
one key per customer), then the real ``broadcaster customers import`` path (whole-file checks,
validation, phone parsing, atomic batches), a re-import of the unchanged file, and Redis
memory per customer.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import os
import random
import tempfile
import time
from pathlib import Path

from benchmarks.customer_data import write_csv
from broadcaster.adapters.keys import Keys
from broadcaster.adapters.redis_connection import Redis, awaited, connect
from broadcaster.config import RedisSettings, Settings
from broadcaster.embedded_redis import embedded_redis
from broadcaster.services.customer_import import import_customers


def plain_loop(path: Path) -> float:
    started = time.perf_counter()
    with path.open(encoding="utf-8", newline="") as handle:
        for _ in csv.reader(handle):
            pass
    return time.perf_counter() - started


async def raw_sets(url: str, rows: int, size: int = 130) -> float:
    redis = connect(RedisSettings(), url)
    value = b"x" * size
    started = time.perf_counter()
    for start in range(0, rows, 1000):
        pipe = redis.pipeline(transaction=False)
        for i in range(start, min(start + 1000, rows)):
            pipe.set(f"raw:{i}", value)
        await pipe.execute()
    elapsed = time.perf_counter() - started
    await redis.flushall()
    await redis.aclose()
    return elapsed


def line(label: str, rows: int, elapsed: float, extra: str = "") -> None:
    print(f"{label:<42} {elapsed:6.1f} s  {rows / elapsed:>9,.0f} rows/s  {extra}")


async def measure(url: str, path: Path, rows: int) -> None:
    redis = connect(RedisSettings(), url)
    settings = Settings()
    keys = Keys()
    baseline = (await redis.info("memory"))["used_memory"]
    print(f"rows: {rows:,}  cores: {os.cpu_count()}  load average: {os.getloadavg()[0]:.1f}")
    line("baseline  csv.reader loop, no validation", rows, plain_loop(path))
    line("baseline  pipelined SET, 130 B per row", rows, await raw_sets(url, rows))
    for label in ("import (new customers)", "re-import (all unchanged)"):
        started, redis_cpu = time.perf_counter(), await cpu(redis)
        report = await import_customers(
            redis, keys, settings, path, rejects_path=path.with_suffix(".rej")
        )
        elapsed = time.perf_counter() - started
        counts = (
            f"(created {report.created:,}, updated {report.updated:,}, "
            f"unchanged {report.unchanged:,}, rejected {report.rejected:,}; Redis CPU "
            f"{(await cpu(redis) - redis_cpu) / rows * 1e6:.1f} us/row; load average "
            f"{os.getloadavg()[0]:.1f})"
        )
        line(label, rows, elapsed, counts)
    used = (await redis.info("memory"))["used_memory"] - baseline
    count = int(await redis.bitcount(keys.everyone))
    print(
        f"redis memory: {used / 1e6:,.0f} MB for {count:,} customers = {used / count:,.0f} B each"
    )
    for part, size in (await memory_by_part(redis, keys, count)).items():
        print(f"  {part:<34} {size / 1e6:8,.1f} MB  {size / count:6,.1f} B/customer")
    await redis.aclose()


async def cpu(redis: Redis) -> float:
    """CPU seconds Redis's main thread has used so far."""
    info = await redis.info("cpu")
    return float(info["used_cpu_user_main_thread"] + info["used_cpu_sys_main_thread"])


async def memory_by_part(redis: Redis, keys: Keys, count: int) -> dict[str, float]:
    """MEMORY USAGE by kind of key: records sampled, lookups and indexes in full."""
    sample = random.Random(1).sample(range(1, count + 1), min(count, 2000))
    pipe = redis.pipeline(transaction=False)
    for ordinal in sample:
        pipe.memory_usage(keys.customer(ordinal), samples=0)
    parts = {"records (sampled)": sum(await pipe.execute()) / len(sample) * count}
    for part, pattern in (
        ("id lookups", f"{keys.prefix}:cust:ids:*"),
        ("phone lookups", f"{keys.prefix}:cust:ph:*"),
        ("value sets", f"{keys.values_prefix}*"),
    ):
        parts[part] = await usage(redis, pattern)
    by_attribute: dict[str, float] = {}
    async for key in redis.scan_iter(match=f"{keys.index_prefix}*", count=1000):
        name = key.decode().removeprefix(keys.index_prefix).split(":", 1)[0]
        by_attribute[name] = by_attribute.get(name, 0) + (await redis.memory_usage(key) or 0)
    for name, size in sorted(by_attribute.items(), key=lambda item: -item[1]):
        values = await awaited(redis.scard(keys.values(name)))
        parts[f"index {name} ({values} values)" if values else f"bitmap {name}"] = size
    return parts


async def usage(redis: Redis, pattern: str) -> float:
    total = 0.0
    async for key in redis.scan_iter(match=pattern, count=1000):
        total += await redis.memory_usage(key, samples=0) or 0
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-import-") as tmp:
        path = write_csv(Path(tmp) / "customers.csv", args.rows)
        with embedded_redis() as url:
            asyncio.run(measure(url, path, args.rows))


if __name__ == "__main__":
    main()
