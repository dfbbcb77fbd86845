"""The directory's storage against a real Redis: erasure, duplicates, unindexed attributes,
opt-out precedence, and index writes for dense and scattered ordinals."""

from __future__ import annotations

from broadcaster.adapters.audience import Audiences, Destination, unpack
from broadcaster.adapters.directory import Directory
from broadcaster.adapters.keys import Keys
from broadcaster.domain.customers import Customer, IndexPolicy
from broadcaster.domain.segments import Equals
from tests.integration.test_directory import TIERS, make_customer


async def members(audiences: Audiences, redis, rule) -> set[int]:
    await audiences.resolve(rule, destination=Destination(send_list="t:out"))
    return set(unpack(await redis.get("t:out")))


async def test_erasure_removes_the_record_its_lookups_and_every_index_bit(redis_client):
    keys = Keys()
    directory = Directory(redis_client, keys)
    audiences = Audiences(redis_client, keys, TIERS)
    await directory.upsert([make_customer(i) for i in range(8)])
    unique = make_customer(8, attributes={"region": "only-one", "service": "fiber"})
    await directory.upsert([unique])
    ordinal = await directory.ordinal("C00008")
    assert ordinal is not None
    await directory.set_opted_out(ordinal, True)

    assert await directory.erase(["C00008", "nobody"]) == [True, False]

    assert await directory.get("C00008") is None
    assert await directory.find_by_phone(unique.phone) is None
    assert await directory.get_many([ordinal]) == [None]
    assert await directory.count() == 8
    assert "only-one" not in await directory.values("region")
    assert not await redis_client.exists(keys.index("region", "only-one"))
    for bitmap in (keys.everyone, keys.opted_in, keys.opted_out, keys.index("service", "fiber")):
        assert await redis_client.getbit(bitmap, ordinal) == 0
    dump = b"".join([await redis_client.dump(k) or b"" for k in await redis_client.keys("*")])
    assert unique.phone.encode() not in dump
    assert b"Customer 8" not in dump
    assert await members(audiences, redis_client, Equals("service", ("fiber",))) == {
        await directory.ordinal(f"C{i:05d}") for i in range(1, 8, 2)
    }
    assert await directory.erase([]) == []


async def test_duplicate_ids_last_row_wins_and_are_reported(redis_client):
    directory = Directory(redis_client, Keys())
    seen = "t:seen"
    first = await directory.upsert(
        [make_customer(1), make_customer(2), make_customer(1, name="Second")], seen
    )
    assert first.statuses == "ccU"
    assert (first.created, first.updated, first.unchanged, first.duplicates) == (2, 1, 0, 1)
    later = await directory.upsert([make_customer(1, name="Third"), make_customer(3)], seen)
    assert later.statuses == "Uc"
    stored = await directory.get("C00001")
    assert stored is not None
    assert stored.name == "Third"
    again = await directory.upsert([make_customer(3)])
    assert again.statuses == "n", "without a seen bitmap nothing counts as a duplicate"


async def test_unindexed_attributes_are_stored_but_never_indexed(redis_client):
    keys = Keys()
    directory = Directory(redis_client, keys, IndexPolicy(frozenset({"region"})))
    customer = make_customer(1, attributes={"region": "bdg", "account": "ACC-9"})
    await directory.upsert([customer])
    assert await directory.get("C00001") == customer
    assert await directory.values("account") == []
    assert "account" not in await directory.attributes()
    assert {"region", "tier", "language", "cc"} <= set(await directory.attributes())
    assert await redis_client.bitcount(keys.index("region", "bdg")) == 1


async def test_opt_out_survives_a_reimport_that_says_opted_in(redis_client):
    directory = Directory(redis_client, Keys())
    audiences = Audiences(redis_client, Keys(), TIERS)
    await directory.upsert([make_customer(i) for i in range(4)])
    ordinal = await directory.ordinal("C00002")
    assert ordinal is not None
    assert await directory.set_opted_out(ordinal, True)
    assert not await directory.set_opted_out(ordinal, True)
    await directory.upsert([make_customer(2, name="Renamed", opt_in=True)])
    assert await directory.is_opted_out([ordinal]) == [True]
    everyone = await members(audiences, redis_client, Equals("tier", tuple(TIERS)))
    assert ordinal not in everyone
    assert len(everyone) == 3


async def test_scattered_updates_and_a_dense_batch_index_the_same_way(redis_client):
    keys = Keys()
    directory = Directory(redis_client, keys)
    audiences = Audiences(redis_client, keys, TIERS)
    customers = [make_customer(i) for i in range(3000)]
    for start in range(0, 3000, 1000):
        await directory.upsert(customers[start : start + 1000])
    moved = [0, 1499, 2998]  # far apart: one SETBIT each instead of a byte range
    await directory.upsert(
        [make_customer(i, attributes={"region": "moved", "service": "tv"}) for i in moved]
    )
    want = {await directory.ordinal(f"C{i:05d}") for i in moved}
    assert await members(audiences, redis_client, Equals("region", ("moved",))) == want
    south = await members(audiences, redis_client, Equals("region", ("jkt-selatan",)))
    assert south == {
        await directory.ordinal(c.customer_id)
        for i, c in enumerate(customers)
        if c.attributes["region"] == "jkt-selatan" and i not in moved
    }


async def test_records_round_trip_with_every_field(redis_client):
    directory = Directory(redis_client, Keys())
    customer = Customer(
        "C-é",
        "+447911123456",
        False,
        "Zoë O'Neil, Jr.",
        "en-GB",
        "Europe/London",
        "gold",
        {"region": "ldn", "note": "a=b;c"},
    )
    result = await directory.upsert([customer])
    assert result.statuses == "c"
    assert await directory.get("C-é") == customer
    found = await directory.find_by_phone("+447911123456")
    assert found is not None
    assert found[1] == customer
    assert await directory.get_many([]) == []
    assert (await directory.upsert([])).statuses == ""


async def test_compacting_rewrites_bitmaps_at_their_exact_size_and_keeps_every_bit(redis_client):
    keys = Keys()
    directory = Directory(redis_client, keys)
    for start in range(0, 4000, 500):
        await directory.upsert(
            [
                make_customer(
                    i, attributes={"region": "bdg" if i % 2 else "sby", "site": f"s{i % 150}"}
                )
                for i in range(start, start + 500)
            ]
        )
    bitmap = keys.index("region", "bdg")
    before = await redis_client.get(bitmap)
    grown = await redis_client.memory_usage(bitmap)
    assert await directory.compact() == len(await redis_client.keys(f"{keys.index_prefix}*"))
    assert await redis_client.get(bitmap) == before
    assert await redis_client.memory_usage(bitmap) < grown
