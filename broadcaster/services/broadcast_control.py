"""After a cancel: every recipient not yet sent becomes ``skipped`` (in bounded batches)."""

from __future__ import annotations

from broadcaster.adapters.broadcast_store import BroadcastStore, Move
from broadcaster.domain.deliveries import CLAIMABLE, State

BATCH = 5000


async def skip_remaining(store: BroadcastStore, broadcast_id: str, now_ms: int) -> int:
    """Skip every recipient not sent yet; an in-flight send (fresh ``sending``) is left alone."""
    broadcast = await store.get(broadcast_id)
    skipped = 0
    for start in range(0, broadcast.total, BATCH):
        view = await store.view(broadcast_id, start, min(start + BATCH, broadcast.total))
        moves = [
            Move(view.start + offset, State.SKIPPED)
            for offset, state in enumerate(view.states)
            if state in CLAIMABLE
            and (state is not State.SENDING or view.due_ms.get(view.start + offset, 0) <= now_ms)
        ]
        skipped += len(await store.move(broadcast_id, moves))
    return skipped
