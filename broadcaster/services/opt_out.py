"""Opt-out and opt-in by message, confirmed once.

WhatsApp does not act on STOP: the business must (Meta's policy). An opt-out is stored in
the directory and wins over every later audience, whatever the CRM export says. Only a
message that changes the customer's choice is confirmed (a free-form text: their message
opened the service window), so a second STOP gets no second confirmation.
"""

from __future__ import annotations

import logging

from broadcaster.bootstrap import Deps
from broadcaster.domain.customers import Customer
from broadcaster.metrics import OPT_INS, OPT_OUTS
from broadcaster.replies import ReplyKind
from broadcaster.services.answers import send_text
from broadcaster.services.context import customer_fields

logger = logging.getLogger(__name__)


async def change_consent(
    deps: Deps, ordinal: int, customer: Customer, opted_out: bool, number: str
) -> str:
    """Record the customer's choice; confirm it when it changed. Returns what was done."""
    intent = ReplyKind.OPT_OUT if opted_out else ReplyKind.OPT_IN
    if not await deps.directory.set_opted_out(ordinal, opted_out):
        return f"{intent.value}_unchanged"
    (OPT_OUTS if opted_out else OPT_INS).inc()
    logger.info(
        "customer consent changed",
        extra={"customer_id": customer.customer_id, "intent": intent.value},
    )
    context = {
        "business_name": deps.settings.app.business_name,
        "customer": customer_fields(customer),
    }
    text = deps.replies.render(intent, customer.language, context)
    await send_text(deps, number, customer, text, intent, f"consent:{intent.value}")
    return intent.value
