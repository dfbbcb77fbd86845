"""GCRA slot leases against a real Redis: several pacers share one rate exactly."""

from __future__ import annotations

import asyncio
import time

from broadcaster.adapters.keys import Keys
from broadcaster.adapters.rate_limiter import (
    ON_TIME_SECONDS,
    STALE_SLOT_SECONDS,
    Pacer,
    Pacers,
    PairTurns,
)
from broadcaster.simulator.limits import max_in_window


async def test_four_pacers_share_one_rate_without_exceeding_it(redis_client):
    rate = 200.0
    pacers = [Pacer(redis_client, "ob:rl:shared", rate) for _ in range(4)]
    stamps: list[float] = []

    async def drive(pacer: Pacer, count: int) -> None:
        sent = 0
        while sent < count:
            slots = await pacer.take(min(16, count - sent))
            for slot in slots:
                await pacer.wait(slot)
                stamps.append(time.monotonic())
            sent += len(slots)

    await asyncio.gather(*(drive(p, 150) for p in pacers))
    assert len(stamps) == 600
    # slots are disjoint and spaced 1/rate apart; a send may be up to STALE_SLOT_SECONDS late
    assert max_in_window(sorted(stamps), 1.0) <= rate * (1 + STALE_SLOT_SECONDS) + 1


async def test_push_back_delays_every_holder_of_the_number(redis_client):
    first = Pacer(redis_client, "ob:rl:n", 1000.0)
    other = Pacer(redis_client, "ob:rl:n", 1000.0)
    await first.take(1)
    await first.push_back(0.3)
    before = time.monotonic()
    slots = await other.take(1)
    assert slots[0] - before >= 0.25


async def test_given_back_slots_are_used_next_in_order(redis_client):
    pacer = Pacer(redis_client, "ob:rl:g", 100.0)
    taken = await pacer.take(3)
    pacer.give_back(taken[1:])
    again = await pacer.take(2)
    assert again == taken[1:]


async def test_pacers_are_per_number_with_overrides(redis_client):
    pacers = Pacers(redis_client, Keys(), {"111": 900.0}, 72.0)
    assert 899 < pacers["111"].rate <= 900.0, "integer microseconds never round the rate up"
    assert 71.9 < pacers["222"].rate <= 72.0
    assert pacers["111"] is pacers["111"]


async def test_a_push_back_while_a_take_waits_still_yields_a_slot(redis_client):
    pacer = Pacer(redis_client, "ob:rl:pushed", 2.0)  # one slot per lease, 0.5 s apart
    await pacer.take(1)
    waiting = asyncio.create_task(pacer.take(1))  # sleeps until its slot is near
    await asyncio.sleep(0.1)
    assert not waiting.done()
    await pacer.push_back(0.2)  # a 130429 elsewhere empties the local slots meanwhile
    slots = await waiting
    assert len(slots) == 1


async def test_a_late_sender_gets_a_slot_that_is_not_in_the_past(redis_client):
    pacer = Pacer(redis_client, "ob:rl:late", 1000.0)
    pacer.give_back(await pacer.take(5))
    await asyncio.sleep(0.01)  # the five slots are in the past now
    before = time.monotonic()
    fresh = await pacer.take(1, late=0.0)
    assert fresh[0] >= before, "past slots are dropped, not handed to a sender already late"


async def test_a_late_sender_is_served_when_a_lease_is_shorter_than_a_round_trip(redis_client):
    # one slot per lease, 10 us apart: every fresh lease starts "now" on the Redis clock,
    # so it is already in the past when the reply arrives
    pacer = Pacer(redis_client, "ob:rl:single", 100_000.0, lease_seconds=0.00001)
    fresh = await pacer.take(1, late=0.0)
    assert len(fresh) == 1, "a fresh lease is handed out, never dropped as late"


async def test_a_sender_slower_than_the_rate_leases_only_what_it_uses(redis_client):
    pacer = Pacer(redis_client, "ob:rl:slow", 100.0)  # a full lease: 10 slots (0.1 s)
    await pacer.take(1)
    await asyncio.sleep(0.25)  # the other nine go stale unused
    await pacer.take(1)  # drops them and leases again
    rest = await pacer.take(10, horizon=1.0, late=1.0)
    assert len(rest) == 1, "the new lease is two slots (twice what was used), not ten"


async def test_a_slot_is_on_time_from_its_moment_until_it_goes_stale(redis_client):
    pacer = Pacer(redis_client, "ob:rl:on-time", 100.0)
    now = time.monotonic()
    assert pacer.on_time(now)
    assert not pacer.on_time(now + 1.0), "early: the sender waits for it"
    assert not pacer.on_time(now - 1.0), "stale: the sender takes a fresh slot"


async def test_timers_that_fire_early_neither_empty_a_take_nor_send_early(
    redis_client, monkeypatch
):
    real_sleep = asyncio.sleep

    async def early(delay: float) -> None:
        await real_sleep(delay / 2)  # uvloop's timers have millisecond granularity

    monkeypatch.setattr(asyncio, "sleep", early)
    pacer = Pacer(redis_client, "ob:rl:early", 20.0)  # one slot every 50 ms
    first = await pacer.take(1)
    second = await pacer.take(1, horizon=0.0)  # waits for the next slot, woken early
    assert len(first) == len(second) == 1
    await pacer.wait(second[0])
    assert time.monotonic() >= second[0] - ON_TIME_SECONDS, "never sent before its slot"


async def test_answers_get_a_burst_then_one_turn_per_interval(redis_client, monkeypatch):
    waits: list[float] = []

    async def recorded(delay: float) -> None:
        waits.append(delay)

    turns = PairTurns(redis_client, Keys("ob"), interval_seconds=6.0, burst=3)
    monkeypatch.setattr(asyncio, "sleep", recorded)
    for _ in range(3):
        await turns.turn("PN1", "62811")
    assert waits == [], "the burst goes at once"
    await turns.turn("PN1", "62811")
    (wait,) = waits
    assert 5.9 < wait <= 6.0, "then one per interval"
    await turns.turn("PN1", "62899")
    assert len(waits) == 1, "per customer"
