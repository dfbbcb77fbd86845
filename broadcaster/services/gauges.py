"""Refresh the gauges that describe shared state (read from Redis when /metrics is scraped).

Only ``broadcaster serve`` runs this (see ``metrics.STATE_REGISTRY``). Every value is
recomputed from Redis on each scrape, so a gauge never keeps a value some other process set.
"""

from __future__ import annotations

from collections import Counter

from broadcaster.adapters.broadcast_store import Broadcast, BroadcastStatus
from broadcaster.adapters.redis_connection import awaited
from broadcaster.bootstrap import Deps
from broadcaster.domain.deliveries import State
from broadcaster.domain.incidents import Status
from broadcaster.metrics import (
    BROADCAST_RECIPIENTS,
    BROADCASTS,
    BROADCASTS_PAUSED,
    DEFLECTION_ESTIMATED,
    INCIDENTS,
    MESSAGES_WAITING_BUDGET,
    MESSAGING_LIMIT,
    MESSAGING_LIMIT_REMAINING,
    QUEUE_DEPTH,
    QUEUE_OLDEST_AGE,
    SENDER_PAUSED,
)
from broadcaster.services.deflection import recent_deflected
from broadcaster.services.template_health import refresh_template_gauge

HOLD_REASONS = (
    "token",
    "permission",
    "account_restricted",
    "account_locked",
    "payment",
    "number_not_registered",
)
# why a broadcast is paused: by a commander, or by a template error (domain/send_errors.py)
PAUSE_REASONS = (
    "commander",
    "template_paused",
    "template_disabled",
    "template_missing",
    "template_parameters",
    "template_parameter_format",
    "other",
)
CLOSED = frozenset({Status.RESOLVED, Status.CANCELLED})


def pause_reason(reason: str) -> str:
    """``"template_paused (132015)"`` -> ``"template_paused"``; anything unknown -> ``"other"``."""
    head = reason.split(" (", 1)[0].strip()
    return head if head in PAUSE_REASONS else "other"


async def refresh(deps: Deps) -> None:
    incidents = await deps.incident_store.newest(limit=1000)
    by_state = Counter(i.status.value for i in incidents)
    for status in Status:
        INCIDENTS.labels(status.value).set(by_state.get(status.value, 0))
    await _refresh_broadcasts(deps, [i.id for i in incidents if i.status not in CLOSED])
    await _refresh_queue(deps)
    await _refresh_hold(deps)
    await _refresh_budget(deps)
    DEFLECTION_ESTIMATED.set(await recent_deflected(deps))
    await refresh_template_gauge(deps.sending.template_statuses, deps.renderer)


async def _refresh_broadcasts(deps: Deps, open_incidents: list[str]) -> None:
    """Running broadcasts, and every broadcast of an open incident (paused ones matter)."""
    found: dict[str, Broadcast] = {}
    for broadcast_id in await deps.broadcasts.active():
        found[broadcast_id] = await deps.broadcasts.get(broadcast_id)
    for incident_id in open_incidents:
        found.update((b.id, b) for b in await deps.broadcasts.for_incident(incident_id))
    statuses = Counter(b.status.value for b in found.values())
    for broadcast_status in BroadcastStatus:
        BROADCASTS.labels(broadcast_status.value).set(statuses.get(broadcast_status.value, 0))
    paused = Counter(
        pause_reason(b.reason) for b in found.values() if b.status is BroadcastStatus.PAUSED
    )
    for reason in PAUSE_REASONS:
        BROADCASTS_PAUSED.labels(reason).set(paused.get(reason, 0))

    recipients: Counter[tuple[str, str]] = Counter()
    for broadcast in found.values():
        if broadcast.status is BroadcastStatus.RUNNING:
            for state, count in (await deps.broadcasts.counts(broadcast.id)).items():
                recipients[(broadcast.kind.value, state)] += count
    BROADCAST_RECIPIENTS.clear()
    for (kind, state), count in recipients.items():
        BROADCAST_RECIPIENTS.labels(kind, state).set(count)
    waiting = State.WAITING_BUDGET.label
    MESSAGES_WAITING_BUDGET.set(sum(n for (_, state), n in recipients.items() if state == waiting))


async def _refresh_queue(deps: Deps) -> None:
    depth, oldest = await deps.queue.depth(deps.clock().timestamp() * 1000)
    QUEUE_DEPTH.set(depth)
    QUEUE_OLDEST_AGE.set(oldest)


async def _refresh_hold(deps: Deps) -> None:
    hold = await deps.holds.get()
    for reason in HOLD_REASONS:
        SENDER_PAUSED.labels(reason).set(1 if hold is not None and hold.reason == reason else 0)


async def _refresh_budget(deps: Deps) -> None:
    limit = deps.settings.whatsapp.messaging_limit
    MESSAGING_LIMIT.set(max(0, limit))
    if limit <= 0:
        MESSAGING_LIMIT_REMAINING.set(-1)
        return
    window_start = deps.clock().timestamp() * 1000 - 86_400_000
    used = await awaited(deps.redis.zcount(deps.keys.budget(), window_start, "+inf"))
    MESSAGING_LIMIT_REMAINING.set(max(0, limit - int(used)))
