"""Queue the chunk jobs a broadcast needs now (see domain/chunks.py for the window)."""

from __future__ import annotations

from broadcaster.adapters.broadcast_store import Broadcast, BroadcastStore
from broadcaster.domain.chunks import chunks_to_run
from broadcaster.domain.deliveries import CLAIMABLE, State
from broadcaster.ports import JobQueue

SCAN = 20_000


def chunk_job_id(broadcast: Broadcast, chunk: int) -> str:
    return f"send:{broadcast.id}:{chunk}:g{broadcast.generation}"


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
        view = await store.view(broadcast.id, start, min(start + SCAN, broadcast.total))
        for offset, state in enumerate(view.states):
            if state not in CLAIMABLE:
                continue
            chunk = (view.start + offset) // broadcast.chunk_size
            if state is State.PENDING:
                pending[chunk] = True
            else:
                waiting[chunk] = True
    queued = 0
    for chunk in chunks_to_run(pending, waiting, window):
        queued += await enqueue_chunk(queue, broadcast, chunk)
    return queued
