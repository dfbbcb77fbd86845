"""Queue the chunk jobs a broadcast needs now (see domain/chunks.py for the window)."""

from __future__ import annotations

from broadcaster.adapters.broadcast_store import Broadcast, BroadcastStore
from broadcaster.domain.chunks import chunks_to_run
from broadcaster.domain.deliveries import CLAIMABLE, State
from broadcaster.ports import JobQueue

SCAN = 20_000
PENDING_BYTE = bytes([State.PENDING])
# claimable states other than pending: recipients waiting for a retry or a reconciliation
WAITING_BYTES = tuple(bytes([s]) for s in sorted(CLAIMABLE - {State.PENDING}))


CHUNK_JOB = "send"


def chunk_job_id(broadcast: Broadcast, chunk: int) -> str:
    return f"{CHUNK_JOB}:{broadcast.id}:{chunk}:g{broadcast.generation}"


def chunk_job_prefix(namespace: str) -> str:
    """How every chunk job's arq id starts (ids are namespaced by the key prefix)."""
    return f"{namespace}:{CHUNK_JOB}:"


async def enqueue_chunk(queue: JobQueue, broadcast: Broadcast, chunk: int) -> bool:
    """Queue one chunk job (a no-op if that job is already queued or running)."""
    if not 0 <= chunk < broadcast.chunks:
        return False
    return await queue.enqueue(
        "send_chunk",
        broadcast.id,
        chunk,
        broadcast.generation,
        job_id=chunk_job_id(broadcast, chunk),
    )


async def queue_due_chunks(
    store: BroadcastStore, queue: JobQueue, broadcast: Broadcast, window: int
) -> int:
    """Queue the frontier window and every chunk with waiting recipients; returns how many."""
    pending = [False] * broadcast.chunks
    waiting = [False] * broadcast.chunks
    for start in range(0, broadcast.total, SCAN):
        stop = min(start + SCAN, broadcast.total)
        # the state bytes alone, searched per chunk in C: the watchdog reads every running
        # broadcast every half minute, a million recipients included
        states = await store.states(broadcast.id, start, stop)
        first, last = start // broadcast.chunk_size, (stop - 1) // broadcast.chunk_size
        for chunk in range(first, last + 1):
            lo, hi = broadcast.chunk_range(chunk)
            part = states[max(lo, start) - start : min(hi, stop) - start]
            pending[chunk] = pending[chunk] or PENDING_BYTE in part
            waiting[chunk] = waiting[chunk] or any(b in part for b in WAITING_BYTES)
    queued = 0
    for chunk in chunks_to_run(pending, waiting, window):
        queued += await enqueue_chunk(queue, broadcast, chunk)
    return queued
