"""A killed import leaves every customer either fully indexed or absent, never in between."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

from benchmarks.customer_data import write_csv
from broadcaster.adapters.bitmaps import decode_bitmap
from broadcaster.adapters.customer_records import decode
from broadcaster.adapters.keys import Keys
from broadcaster.adapters.redis_connection import Redis, awaited
from broadcaster.domain.customers import Customer
from tests.conftest import REPO


async def bits(redis: Redis, key: str) -> set[int]:
    return set(decode_bitmap(await redis.get(key) or b""))


async def assert_consistent(redis: Redis, keys: Keys) -> int:
    """Every record has exactly its index bits, lookups and flags; no bit without a record."""
    records: dict[int, Customer] = {}
    async for key in redis.scan_iter(match=f"{keys.customer_record_prefix}*", count=1000):
        ordinal = int(key.decode().rsplit(":", 1)[1])
        records[ordinal] = decode(await redis.get(key))
    assert await bits(redis, keys.everyone) == set(records)
    assert await bits(redis, keys.opted_in) == {o for o, c in records.items() if c.opt_in}
    expected: dict[str, set[int]] = {}
    for ordinal, customer in records.items():
        for attribute, value in customer.index_entries():
            expected.setdefault(keys.index(attribute, value), set()).add(ordinal)
        ids = await awaited(
            redis.hget(keys.customer_ids(customer.customer_id), customer.customer_id)
        )
        phone = await awaited(redis.hget(keys.customer_phones(customer.phone), customer.phone))
        assert ids is not None
        assert phone is not None
        assert int(ids) == int(phone) == ordinal
    indexes = {k.decode() async for k in redis.scan_iter(match=f"{keys.index_prefix}*:*")}
    assert indexes == set(expected)
    for key, ordinals in expected.items():
        assert await bits(redis, key) == ordinals, key
    return len(records)


async def test_an_import_killed_mid_way_leaves_whole_customers_only(
    tmp_path: Path, redis_url: str, redis_client: Redis
):
    path = write_csv(tmp_path / "customers.csv", 30_000)
    env = {
        **os.environ,
        "BROADCASTER_REDIS__URL": redis_url,
        "BROADCASTER_CONFIG": str(REPO / "config.toml"),
        "BROADCASTER_CUSTOMERS__IMPORT_BATCH_SIZE": "200",
    }
    ours = len(await redis_client.client_list())
    child = subprocess.Popen(  # noqa: ASYNC220 - the child is what this test kills
        [sys.executable, "-m", "broadcaster", "customers", "import", str(path)],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        # another process's progress shows only in Redis: poll it
        while int(await redis_client.get("ob:cust:seq") or 0) < 2_000 and child.poll() is None:  # noqa: ASYNC110
            await asyncio.sleep(0.01)
    finally:
        os.killpg(child.pid, signal.SIGKILL)  # the importer and its parsing process
        child.wait()
    # a script the importer sent before dying still runs to its end: check once Redis has
    # dropped the importer's connections, so nothing changes under the check
    while len(await redis_client.client_list()) > ours:  # noqa: ASYNC110
        await asyncio.sleep(0.01)
    stored = await assert_consistent(redis_client, Keys())
    assert 2_000 <= stored < 30_000, "killed part way through"
