"""Lift the account-wide hold once WhatsApp accepts our token again.

The probe is a free read (``GET /{phone-number-id}``), never a message. Chunk jobs that
deferred themselves during the hold carry on at their next run.
"""

from __future__ import annotations

import logging

from broadcaster.bootstrap import Deps
from broadcaster.metrics import SENDER_PAUSED

logger = logging.getLogger(__name__)


async def probe(deps: Deps) -> bool:
    """True when a hold was lifted."""
    hold = await deps.holds.get()
    if hold is None:
        return False
    numbers = deps.settings.whatsapp.phone_number_ids
    if not numbers or not await deps.cloud.check_token(numbers[0]):
        logger.warning("sending still held", extra={"reason": hold.reason, "code": hold.code})
        return False
    await deps.holds.clear()
    SENDER_PAUSED.labels(hold.reason).set(0)
    logger.info("sending hold lifted", extra={"reason": hold.reason, "since": hold.since})
    return True
