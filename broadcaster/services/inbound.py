"""Inbound WhatsApp messages: deduplicated by message id, persisted as a job, handled later.

The webhook request only records the message (the arq job payload is the durable copy) and
returns; replying, opt-out handling and contact attribution run in the worker.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from broadcaster.adapters.keys import Keys
from broadcaster.adapters.redis_connection import Redis
from broadcaster.adapters.whatsapp_webhooks import InboundMessage
from broadcaster.ports import JobQueue

SEEN_TTL_SECONDS = 8 * 24 * 3600  # Meta re-delivers for up to 7 days


async def accept_inbound(
    redis: Redis, keys: Keys, queue: JobQueue, messages: Iterable[InboundMessage]
) -> int:
    """Queue each new message once; returns how many were new."""
    new = 0
    for message in messages:
        seen = keys.seen("wa-in", message.message_id)
        if await redis.exists(seen):
            continue
        # queue first, then remember: a crash in between re-queues (same job id), never drops
        await queue.enqueue(
            "handle_inbound", dataclasses.asdict(message), job_id=f"in:{message.message_id}"
        )
        await redis.set(seen, b"1", ex=SEEN_TTL_SECONDS)
        new += 1
    return new
