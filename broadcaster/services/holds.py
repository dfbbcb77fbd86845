"""Hold all sending when WhatsApp refuses our token or account; lift it once it works again.

The probe is a free read (``GET /{phone-number-id}``), never a message. Chunk jobs that
deferred themselves during the hold carry on at their next run.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING

from broadcaster.adapters.holds import Holds
from broadcaster.domain.send_errors import Verdict
from broadcaster.domain.timefmt import format_rfc3339
from broadcaster.metrics import SENDER_PAUSED

if TYPE_CHECKING:
    from broadcaster.bootstrap import Deps

logger = logging.getLogger(__name__)


async def hold_sending(holds: Holds, verdict: Verdict, now: datetime) -> bool:
    """Hold every chunk job for an account-level refusal; True if this call started it."""
    if not await holds.set(verdict.reason, verdict.code, format_rfc3339(now) or ""):
        return False
    SENDER_PAUSED.labels(verdict.reason).set(1)
    logger.error("sending held", extra={"reason": verdict.reason, "code": verdict.code})
    return True


# What a read of the sender number can prove fixed. A payment problem, a locked or restricted
# account or an unregistered number do not show in that read: lifting on it would send into
# the same refusal, and WhatsApp reports some of those failures only after accepting a
# message, which loses that customer. Those holds wait for an operator (``lift``).
PROBED = frozenset({"token", "permission"})


async def probe(deps: Deps) -> bool:
    """True when a hold was lifted."""
    hold = await deps.holds.get()
    if hold is None:
        return False
    if hold.reason not in PROBED:
        logger.warning(
            "sending held until an operator resumes it",
            extra={"reason": hold.reason, "code": hold.code, "since": hold.since},
        )
        return False
    numbers = deps.settings.whatsapp.phone_number_ids
    if not numbers or not await deps.cloud.check_token(numbers[0]):
        logger.warning("sending still held", extra={"reason": hold.reason, "code": hold.code})
        return False
    return await lift(deps.holds, "probe")


async def lift(holds: Holds, by: str) -> bool:
    """End the hold; chunk jobs that deferred during it carry on at their next run."""
    hold = await holds.get()
    if hold is None or not await holds.clear():
        return False
    SENDER_PAUSED.labels(hold.reason).set(0)
    logger.info("sending hold lifted", extra={"reason": hold.reason, "since": hold.since, "by": by})
    return True
