"""Apply WhatsApp status webhooks to recipients: forward only, duplicates change nothing.

Each status names its recipient through ``biz_opaque_callback_data`` (broadcast|index|attempt).
Meta charges a template once, when it is first delivered (or read, if delivered is skipped):
the Lua transition adds the price carried by that status to the broadcast, atomically.
Statuses are grouped per broadcast and applied in one Lua call each; the state machine makes
re-deliveries and out-of-order arrivals harmless (a status never moves a recipient back).
"""

from __future__ import annotations

import dataclasses
import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from broadcaster.adapters.broadcast_store import BroadcastStore, Move
from broadcaster.adapters.whatsapp_webhooks import StatusUpdate
from broadcaster.domain.customers import calling_code
from broadcaster.domain.deliveries import WEBHOOK_STATUS, Recipient, State
from broadcaster.domain.pricing import PriceTable
from broadcaster.metrics import COST, MESSAGE_ERRORS, MESSAGES

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


@dataclass
class _Batch:
    """Status updates sorted into per-broadcast moves, with what they may cost and report."""

    moves: dict[str, list[Move]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    unmatched: int = 0
    ignored: int = 0


def charge_for(update: StatusUpdate, target: State, prices: PriceTable, category: str) -> float:
    """What this status's message costs, if it is the one that makes it count as delivered.

    Meta puts ``pricing`` on ``sent`` and on one of ``delivered``/``read``; webhooks arrive
    out of order, so a ``read`` without pricing may be the first we hear of a delivery: then
    the broadcast's own template category prices it.
    """
    code = calling_code(update.recipient_id)
    if update.category:
        return prices.price(update.category, code) if update.billable else 0.0
    if target in (State.DELIVERED, State.READ):
        return prices.price(category, code)
    return 0.0


def sort_updates(
    updates: Iterable[StatusUpdate], prices: PriceTable, categories: Mapping[str, str]
) -> _Batch:
    batch = _Batch()
    for update in sorted(updates, key=lambda u: u.timestamp):
        recipient = Recipient.parse(update.opaque)
        move = moves_for(update, recipient) if recipient else None
        if recipient is None:
            batch.unmatched += 1
        elif move is None:
            batch.ignored += 1
        else:
            category = categories.get(recipient.broadcast_id, "")
            charge = charge_for(update, move.target, prices, category)
            batch.moves[recipient.broadcast_id].append(dataclasses.replace(move, charge=charge))
            batch.errors[recipient.broadcast_id] += list(update.error_codes)
    return batch


async def apply_statuses(
    store: BroadcastStore, updates: Iterable[StatusUpdate], prices: PriceTable
) -> StatusReport:
    ids = {r.broadcast_id for u in updates if (r := Recipient.parse(u.opaque)) is not None}
    categories = {broadcast_id: await store.category(broadcast_id) for broadcast_id in ids}
    batch = sort_updates(updates, prices, categories)
    applied = 0
    for broadcast_id, moves in batch.moves.items():
        kind = kind_of(broadcast_id)
        made, cost = await store.move_and_charge(broadcast_id, moves)
        applied += len(made)
        for _, _, new in made:
            MESSAGES.labels(kind, new.label).inc()
        for code in batch.errors.get(broadcast_id, []):
            MESSAGE_ERRORS.labels(kind, str(code), "async").inc()
        if cost:
            COST.labels("actual", prices.currency).inc(cost)
    if batch.unmatched:
        logger.info("statuses without our callback data", extra={"count": batch.unmatched})
    total = sum(len(m) for m in batch.moves.values())
    return StatusReport(applied, batch.ignored + total - applied, batch.unmatched)
