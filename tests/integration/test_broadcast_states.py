"""Claims and transitions in Redis keep the counts by state equal to the states themselves."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from broadcaster.adapters.broadcast_store import (
    Broadcast,
    BroadcastStatus,
    BroadcastStore,
    Claim,
    Move,
)
from broadcaster.adapters.keys import Keys
from broadcaster.domain.deliveries import State
from broadcaster.domain.templates import Kind
from broadcaster.services import chunk_queue
from broadcaster.services.chunk_queue import queue_due_chunks


async def recount(store: BroadcastStore, broadcast_id: str, total: int) -> dict[str, int]:
    view = await store.view(broadcast_id, 0, total)
    return {state.label: n for state, n in Counter(view.states).items()}


async def test_counts_follow_every_claim_and_transition_in_a_batch(redis_client):
    keys = Keys()
    store = BroadcastStore(redis_client, keys)
    broadcast = Broadcast(
        "B1", "INC-1", Kind.NOTICE, BroadcastStatus.RUNNING, 10, 10, "2026-11-24T00:00:00Z"
    )
    assert await store.create(broadcast)
    claims = [Claim(i, "", f"62812{i}") for i in range(6)] + [Claim(3, "", "628123")]
    results = await store.claim("B1", claims, now_ms=1_000, reconcile_ms=60_000, pair_ttl_ms=0)
    assert not isinstance(results, str), "the broadcast is running"
    assert [code for code, _ in results] == [1] * 6 + [0], "a recipient is claimed once"
    assert await store.counts("B1") == await recount(store, "B1", 10)
    made = await store.move(
        "B1",
        [
            Move(0, State.ACCEPTED, 1, 1),
            Move(1, State.ACCEPTED, 1, 1),
            Move(2, State.RETRY, 1, 1, due_ms=5_000),
            Move(3, State.UNKNOWN, 1, 1, due_ms=9_000),
            Move(4, State.ACCEPTED, 2, 1),  # another attempt's answer: not applied
            Move(7, State.SKIPPED),
            Move(1, State.DELIVERED),  # the same recipient twice in one batch
        ],
    )
    assert [(i, new) for i, _, new in made] == [
        (0, State.ACCEPTED),
        (1, State.ACCEPTED),
        (2, State.RETRY),
        (3, State.UNKNOWN),
        (7, State.SKIPPED),
        (1, State.DELIVERED),
    ]
    counts = await store.counts("B1")
    assert counts == await recount(store, "B1", 10)
    assert counts == {
        "pending": 3,
        "sending": 2,
        "accepted": 1,
        "delivered": 1,
        "retry": 1,
        "unknown": 1,
        "skipped": 1,
    }


async def test_charges_in_any_float_notation_add_up(redis_client):
    store = BroadcastStore(redis_client, Keys())
    broadcast = Broadcast(
        "B2", "INC-1", Kind.NOTICE, BroadcastStatus.RUNNING, 3, 3, "2026-11-24T00:00:00Z"
    )
    assert await store.create(broadcast)
    await store.claim("B2", [Claim(i, "", str(i)) for i in range(3)], 1_000, 60_000, 0)
    moves = [Move(i, State.DELIVERED, charge=c) for i, c in enumerate([1e-05, 0.0125, 2.0])]
    made, charged = await store.move_and_charge("B2", moves)
    assert len(made) == 3
    assert abs(charged - 2.01251) < 1e-9


async def test_a_value_holding_a_separator_is_refused_not_misread(redis_client):
    store = BroadcastStore(redis_client, Keys())
    with pytest.raises(ValueError, match="separator"):
        await store.claim("B3", [Claim(0, "", "62812\x1e1")], 1_000, 60_000, 0)


class RecordingQueue:
    def __init__(self) -> None:
        self.jobs: list[tuple[str, tuple[Any, ...]]] = []

    async def enqueue(
        self, function: str, *args: Any, job_id: str, defer_seconds: float = 0
    ) -> bool:
        self.jobs.append((function, args))
        return True


async def test_the_watchdog_queues_the_frontier_and_chunks_with_waiting_recipients(
    redis_client, monkeypatch
):
    monkeypatch.setattr(chunk_queue, "SCAN", 4)  # scans that do not line up with chunks
    store = BroadcastStore(redis_client, Keys())
    broadcast = Broadcast(
        "B4", "INC-1", Kind.NOTICE, BroadcastStatus.RUNNING, 11, 3, "2026-11-24T00:00:00Z"
    )
    assert await store.create(broadcast)
    await store.claim("B4", [Claim(i, "", str(i)) for i in range(6)], 1_000, 60_000, 0)
    moves = [Move(i, State.ACCEPTED) for i in (0, 1, 2, 3, 5)] + [Move(4, State.RETRY)]
    await store.move("B4", moves)
    queue = RecordingQueue()
    # chunk 0 is done, 1 has a recipient waiting for a retry, 2 and 3 were never started
    assert await queue_due_chunks(store, queue, broadcast, window=1) == 2
    assert [args[1] for _, args in queue.jobs] == [1, 2]
