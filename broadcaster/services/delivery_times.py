"""Notice recipients' delivery times from status webhooks, for the staggered comparison.

Called by the WhatsApp webhook after the statuses are applied: one Redis call per notice
broadcast in the POST, nothing for other kinds.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from broadcaster.adapters.deliveries import DeliveryTimes
from broadcaster.adapters.whatsapp_webhooks import StatusUpdate
from broadcaster.domain.deliveries import Recipient
from broadcaster.domain.templates import Kind
from broadcaster.services.statuses import kind_of

REACHED_STATUSES = frozenset({"delivered", "read", "played"})


async def record_delivery_times(store: DeliveryTimes, updates: Iterable[StatusUpdate]) -> int:
    """Keep when each notice recipient first had the message; returns how many changed."""
    grouped: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for update in updates:
        recipient = Recipient.parse(update.opaque)
        if update.status not in REACHED_STATUSES or update.timestamp <= 0 or recipient is None:
            continue
        if kind_of(recipient.broadcast_id) == Kind.NOTICE.value:
            grouped[recipient.broadcast_id].append((recipient.index, update.timestamp))
    written = 0
    for broadcast_id, times in grouped.items():
        written += await store.record(broadcast_id, times)
    return written
