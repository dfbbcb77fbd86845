"""Permits for requests in flight: granted in batches, in arrival order, never lost."""

from __future__ import annotations

import asyncio

import pytest

from broadcaster.services.in_flight import InFlight


async def test_a_batch_takes_what_is_free_up_to_what_it_asks():
    permits = InFlight(10)
    assert await permits.take(4) == 4
    assert await permits.take(64) == 6, "no more than the limit is ever out"
    assert permits.free == 0
    permits.release(6)
    assert await permits.take(3, least=2) == 3


async def test_a_taker_waits_until_its_least_is_free():
    permits = InFlight(8)
    await permits.take(8)
    waiting = asyncio.create_task(permits.take(8, least=3))
    permits.release(2)
    await asyncio.sleep(0)
    assert not waiting.done(), "two free permits are fewer than the three it needs"
    permits.release(2)
    assert await waiting == 4, "it gets all that is free once its least is"
    assert permits.free == 0


async def test_waiters_are_served_in_arrival_order():
    permits = InFlight(4)
    await permits.take(4)
    first = asyncio.create_task(permits.take(4, least=4))
    await asyncio.sleep(0)
    second = asyncio.create_task(permits.take(1))
    await asyncio.sleep(0)
    permits.release(1)
    await asyncio.sleep(0)
    assert not second.done(), "a later small request does not overtake an earlier one"
    permits.release(3)
    assert await first == 4
    permits.release(1)
    assert await second == 1


async def test_a_cancelled_waiter_loses_no_permits_and_blocks_nobody():
    permits = InFlight(2)
    await permits.take(2)
    stuck = asyncio.create_task(permits.take(2, least=2))
    await asyncio.sleep(0)
    behind = asyncio.create_task(permits.take(1))
    await asyncio.sleep(0)
    stuck.cancel()
    with pytest.raises(asyncio.CancelledError):
        await stuck
    permits.release(1)
    assert await behind == 1
    permits.release(2)
    assert permits.free == 2


async def test_permits_granted_to_a_taker_cancelled_before_it_resumed_come_back():
    permits = InFlight(3)
    await permits.take(3)
    taker = asyncio.create_task(permits.take(3))
    await asyncio.sleep(0)
    permits.release(3)  # granted now; the taker has not run since
    taker.cancel()
    with pytest.raises(asyncio.CancelledError):
        await taker
    assert permits.free == 3
