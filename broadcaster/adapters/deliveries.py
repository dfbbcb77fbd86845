"""When each notice recipient's message was delivered, and a notice's assignment lists.

The staggered-delivery comparison needs every notified customer's own delivery time, which
only the status webhooks know. Each notice broadcast keeps one uint32 (Unix seconds, 0 =
not yet) per recipient index, beside its recipient list: 4 bytes per recipient, the
earliest of ``delivered`` and ``read`` (Meta skips ``delivered`` when both come at once).
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from dataclasses import dataclass

from broadcaster.adapters.audience import unpack
from broadcaster.adapters.keys import Keys
from broadcaster.adapters.lua import script
from broadcaster.adapters.redis_connection import Redis


@dataclass(frozen=True, slots=True)
class NoticeAudience:
    """Who a notice broadcast was assigned to, and when each notified one got it."""

    notified: list[int]  # ordinals in send order
    held: list[int]  # the holdout: selected, deliberately not messaged
    delivered_ms: dict[int, int]  # ordinal -> epoch ms, for those delivered


class DeliveryTimes:
    def __init__(self, redis: Redis, keys: Keys) -> None:
        self._redis = redis
        self._keys = keys
        self._record = script(redis, "delivered_at")

    async def record(self, broadcast_id: str, times: Iterable[tuple[int, int]]) -> int:
        """Keep ``(index, unix_seconds)`` where earlier than known; returns how many changed."""
        flat = [value for pair in times for value in pair]
        if not flat:
            return 0
        keys = [self._keys.deliveries(broadcast_id), self._keys.broadcast(broadcast_id)]
        return int(await self._record(keys=keys, args=[len(flat) // 2, *flat]))

    async def audience(self, broadcast_id: str) -> NoticeAudience:
        pipe = self._redis.pipeline(transaction=False)
        pipe.get(self._keys.recipients(broadcast_id))
        pipe.get(self._keys.held(broadcast_id))
        pipe.get(self._keys.deliveries(broadcast_id))
        recipients, held, times = await pipe.execute()
        notified = unpack(recipients or b"")
        seconds = struct.unpack(f">{len(times or b'') // 4}I", times or b"")
        delivered = {notified[i]: s * 1000 for i, s in enumerate(seconds) if s}
        return NoticeAudience(notified, unpack(held or b""), delivered)
