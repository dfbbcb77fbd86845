"""Apply WhatsApp status webhooks to recipients: forward only, duplicates change nothing.

Each status names its recipient through ``biz_opaque_callback_data`` (broadcast|index|attempt).
Statuses are grouped per broadcast and applied in one Lua call each; the state machine makes
re-deliveries and out-of-order arrivals harmless (a status never moves a recipient back).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from broadcaster.adapters.broadcast_store import BroadcastStore, Move
from broadcaster.adapters.whatsapp_webhooks import StatusUpdate
from broadcaster.domain.deliveries import WEBHOOK_STATUS, Recipient, State
from broadcaster.metrics import MESSAGE_ERRORS, MESSAGES

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class StatusReport:
    applied: int
    ignored: int
    unmatched: int


def kind_of(broadcast_id: str) -> str:
    """``INC-7-notice-r2`` -> ``notice`` (the kind is the second to last part)."""
    parts = broadcast_id.rsplit("-", 2)
    return parts[1] if len(parts) == 3 else "unknown"


def moves_for(update: StatusUpdate, recipient: Recipient) -> Move | None:
    target = WEBHOOK_STATUS.get(update.status)
    if target is None:
        return None
    # a success of any attempt counts; a failure only if it is about the latest attempt
    rule = 2 if target is State.FAILED else 0
    return Move(recipient.index, target, recipient.attempt, rule)


async def apply_statuses(store: BroadcastStore, updates: Iterable[StatusUpdate]) -> StatusReport:
    grouped: dict[str, list[Move]] = defaultdict(list)
    errors: dict[str, list[int]] = defaultdict(list)
    unmatched = ignored = 0
    for update in sorted(updates, key=lambda u: u.timestamp):
        recipient = Recipient.parse(update.opaque)
        if recipient is None:
            unmatched += 1
            continue
        move = moves_for(update, recipient)
        if move is None:
            ignored += 1
            continue
        grouped[recipient.broadcast_id].append(move)
        if update.error_codes:
            errors[recipient.broadcast_id] += list(update.error_codes)
    applied = 0
    for broadcast_id, moves in grouped.items():
        kind = kind_of(broadcast_id)
        made = await store.move(broadcast_id, moves)
        applied += len(made)
        for _, _, new in made:
            MESSAGES.labels(kind, new.label).inc()
        for code in errors.get(broadcast_id, []):
            MESSAGE_ERRORS.labels(kind, str(code), "async").inc()
    total = sum(len(m) for m in grouped.values())
    if unmatched:
        logger.info("statuses without our callback data", extra={"count": unmatched})
    return StatusReport(applied, ignored + total - applied, unmatched)
