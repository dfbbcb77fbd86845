"""Refresh the gauges that describe shared state (read from Redis when /metrics is scraped)."""

from __future__ import annotations

from collections import Counter

from broadcaster.adapters.broadcast_store import BroadcastStatus
from broadcaster.adapters.redis_connection import awaited
from broadcaster.bootstrap import Deps
from broadcaster.domain.incidents import Status
from broadcaster.metrics import (
    BROADCAST_RECIPIENTS,
    BROADCASTS,
    INCIDENTS,
    MESSAGES_WAITING_BUDGET,
    MESSAGING_LIMIT_REMAINING,
    QUEUE_DEPTH,
    QUEUE_OLDEST_AGE,
    SENDER_PAUSED,
)

HOLD_REASONS = (
    "token",
    "permission",
    "account_restricted",
    "account_locked",
    "payment",
    "number_not_registered",
)


async def refresh(deps: Deps) -> None:
    incidents = await deps.incident_store.newest(limit=1000)
    by_state = Counter(i.status.value for i in incidents)
    for status in Status:
        INCIDENTS.labels(status.value).set(by_state.get(status.value, 0))

    statuses: Counter[str] = Counter()
    recipients: Counter[tuple[str, str]] = Counter()
    for broadcast_id in await deps.broadcasts.active():
        broadcast = await deps.broadcasts.get(broadcast_id)
        statuses[broadcast.status.value] += 1
        for state, count in (await deps.broadcasts.counts(broadcast_id)).items():
            recipients[(broadcast.kind.value, state)] += count
    for broadcast_status in BroadcastStatus:
        BROADCASTS.labels(broadcast_status.value).set(statuses.get(broadcast_status.value, 0))
    BROADCAST_RECIPIENTS.clear()
    for (kind, state), count in recipients.items():
        BROADCAST_RECIPIENTS.labels(kind, state).set(count)
    MESSAGES_WAITING_BUDGET.set(sum(n for (_, s), n in recipients.items() if s == "waiting_budget"))

    depth, oldest = await deps.queue.depth(deps.clock().timestamp() * 1000)
    QUEUE_DEPTH.set(depth)
    QUEUE_OLDEST_AGE.set(oldest)

    hold = await deps.holds.get()
    for reason in HOLD_REASONS:
        SENDER_PAUSED.labels(reason).set(1 if hold is not None and hold.reason == reason else 0)

    limit = deps.settings.whatsapp.messaging_limit
    if limit <= 0:
        MESSAGING_LIMIT_REMAINING.set(-1)
    else:
        window_start = deps.clock().timestamp() * 1000 - 86_400_000
        used = await awaited(deps.redis.zcount(deps.keys.budget(), window_start, "+inf"))
        MESSAGING_LIMIT_REMAINING.set(max(0, limit - int(used)))
