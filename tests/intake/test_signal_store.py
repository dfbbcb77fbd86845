"""The signal store under contention: concurrent deliveries to one group lose nothing."""

from __future__ import annotations

import asyncio

from broadcaster.domain.signals import Delivery, Outcome, Signal, SignalState, Source
from broadcaster.services.intake import group_hash


def fibre(fingerprint: str, now, raw_size: int = 10) -> Signal:
    return Signal(
        Source.ALERTMANAGER,
        fingerprint,
        SignalState.FIRING,
        "Fibre down",
        now,
        labels={"service": "fiber", "region": "jkt"},
        raw={"blob": "x" * raw_size},
    )


async def test_concurrent_deliveries_to_one_group_all_land(intake, clock):
    deliveries = [
        Delivery(Source.ALERTMANAGER, f"d{i}", (fibre(f"fp{i}", clock()),)) for i in range(12)
    ]
    receipts = await asyncio.gather(*(intake.accept(d) for d in deliveries))
    assert all(r.outcomes[Outcome.NEW] == 1 for r in receipts)
    (group_hash_,) = await intake.store.tracked()
    group, _ = await intake.store.load(group_hash_)
    assert len(group.tracks) == 12


async def test_a_replace_loses_to_a_change_made_since_it_read(intake, clock):
    await intake.accept(Delivery(Source.ALERTMANAGER, "d1", (fibre("fp1", clock()),)))
    h = group_hash("scope:service=fiber,region=jkt")
    group, stored = await intake.store.load(h)
    await intake.accept(Delivery(Source.ALERTMANAGER, "d2", (fibre("fp2", clock()),)))
    assert not await intake.store.replace(h, stored, group.attached("INC-9"))
    latest, _ = await intake.store.load(h)
    assert latest.incident_id is None
    assert len(latest.tracks) == 2


async def test_a_large_sender_object_is_kept_as_its_size_only(intake, deps, clock):
    await intake.accept(Delivery(Source.ALERTMANAGER, "d1", (fibre("fp1", clock(), 20_000),)))
    h = group_hash("scope:service=fiber,region=jkt")
    group, stored = await intake.store.load(h)
    assert await intake.store.replace(h, stored, group.attached("INC-1"))
    await intake.store.link("INC-1", h)
    (entry,) = await intake.store.signals_of("INC-1")
    assert entry["raw"] == {"omitted_bytes": 20_011}  # compact JSON of the object
    assert entry["fingerprint"] == "fp1"


def test_groups_are_keyed_by_a_hash_of_their_key():
    assert group_hash("scope:a=b") == group_hash("scope:a=b") != group_hash("scope:a=c")
    assert len(group_hash("x")) == 24


async def test_a_schedule_computed_before_a_new_signal_is_not_written(intake, clock, redis_client):
    """An evaluation that saw the old group must not drop the new signal's timer or expire it."""
    await intake.accept(Delivery(Source.ALERTMANAGER, "d1", (fibre("fp1", clock()),)))
    h = group_hash("scope:service=fiber,region=jkt")
    _, stored = await intake.store.load(h)
    await intake.accept(Delivery(Source.ALERTMANAGER, "d2", (fibre("fp2", clock()),)))
    assert not await intake.store.schedule(h, stored, None, idle=True)
    assert await redis_client.ttl(f"ob:grp:{h}") == -1
    assert await redis_client.zscore("ob:grps", h) == clock().timestamp()
    _, current = await intake.store.load(h)
    assert await intake.store.schedule(h, current, None, idle=True)
    assert await redis_client.ttl(f"ob:grp:{h}") > 0
    assert await redis_client.zscore("ob:grps", h) is None
