"""The voucher ledger of one incident as rows for finance: every code, its value, and whether
its message reached the customer.

A voucher is valid once issued whether or not its message arrived (a customer who stopped
marketing messages keeps a claimable voucher), so the export lists the ledger, not the
messages; ``message`` says what became of the latest voucher message to that customer.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from broadcaster.adapters.broadcast_store import BroadcastStore
from broadcaster.adapters.voucher_store import VoucherStore
from broadcaster.domain.templates import Kind

COLUMNS = (
    "incident_id",
    "customer_id",
    "code",
    "value",
    "currency",
    "tier",
    "reason",
    "status",
    "issued_at",
    "expires",
    "provider_ref",
    "message",
)
NOT_SENT = "not_sent"
VIEW_SLICE = 10_000


async def message_states(broadcasts: BroadcastStore, incident_id: str) -> dict[int, str]:
    """Ordinal -> state label of its voucher message, later broadcasts winning."""
    states: dict[int, str] = {}
    for broadcast in await broadcasts.for_incident(incident_id):
        if broadcast.kind is not Kind.VOUCHER:
            continue
        for start in range(0, broadcast.total, VIEW_SLICE):
            view = await broadcasts.view(
                broadcast.id, start, min(start + VIEW_SLICE, broadcast.total)
            )
            for ordinal, state in zip(view.ordinals, view.states, strict=True):
                states[ordinal] = state.label
    return states


async def voucher_rows(
    vouchers: VoucherStore, broadcasts: BroadcastStore, incident_id: str
) -> AsyncIterator[dict[str, str]]:
    states = await message_states(broadcasts, incident_id)
    async for ordinal, voucher in vouchers.entries(incident_id):
        row = {k: str(v) for k, v in voucher.to_dict().items()}
        row["message"] = states.get(ordinal, NOT_SENT)
        yield row


def spreadsheet_safe(cell: str) -> str:
    """Neutralise cells a spreadsheet would run as a formula (CSV injection)."""
    return "'" + cell if cell[:1] in ("=", "+", "-", "@", "\t", "\r") else cell
