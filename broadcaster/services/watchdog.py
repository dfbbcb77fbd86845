"""The broadcast watchdog: no broadcast stays stuck because a job went missing.

arq can lose a job (tries exhausted by repeated kills, an enqueue lost in a Redis failover);
recipient state cannot be lost because it lives outside arq. Every half minute the watchdog
re-queues the chunk jobs every running broadcast needs (its frontier window and its chunks
with waiting recipients; deterministic job ids, so a queued job is not duplicated) and
closes broadcasts that have nothing left.
"""

from __future__ import annotations

from broadcaster.adapters.broadcast_store import BroadcastStatus, BroadcastStore
from broadcaster.ports import JobQueue
from broadcaster.services.chunk_queue import queue_due_chunks
from broadcaster.services.milestones import Milestones


async def watch(store: BroadcastStore, queue: JobQueue, milestones: Milestones, window: int) -> int:
    """Re-queue what running broadcasts need; close finished ones. Returns jobs queued anew."""
    queued = 0
    for broadcast_id in await store.active():
        broadcast = await store.get(broadcast_id)
        if broadcast.status is not BroadcastStatus.RUNNING:
            continue
        if await milestones.maybe_done(broadcast):
            continue
        queued += await queue_due_chunks(store, queue, broadcast, window)
    return queued
