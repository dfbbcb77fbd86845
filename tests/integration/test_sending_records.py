"""What a chunk reads before it sends: records and opt-out flags, in recipient order."""

from __future__ import annotations

from broadcaster.adapters.directory import Directory
from broadcaster.adapters.keys import Keys
from broadcaster.demo_data import sample_customers


async def test_records_and_opt_outs_come_back_in_order(redis_client):
    directory = Directory(redis_client, Keys())
    customers = sample_customers(8)
    await directory.upsert(customers)
    ordinals = [await directory.ordinal(c.customer_id) or 0 for c in customers]
    await directory.set_opted_out(ordinals[4], True)
    wanted = [*reversed(ordinals), 10_000]  # 10,000: nobody
    got = await directory.for_sending(wanted)
    assert [c.customer_id if c else None for c, _ in got] == [
        *(c.customer_id for c in reversed(customers)),
        None,
    ]
    assert [c for c, _ in got[:-1]] == list(reversed(customers)), "records read back whole"
    assert [out for _, out in got] == [i == 3 for i in range(8)] + [False]
