"""Answers to the follow-up's quick-reply buttons (``FU:<incident>:ok|down``).

Where the close-the-loop step receives its answers: each is stored per incident (the latest
answer of a customer wins) and counted; they are not contacts, and get no status answer.
Flagging a "still down" for a human belongs to the follow-up feature, which builds on this.
"""

from __future__ import annotations

import logging

from broadcaster.bootstrap import Deps
from broadcaster.domain.inbound import FollowUpAnswer
from broadcaster.errors import NotFound
from broadcaster.metrics import FOLLOW_UP_ANSWERS

logger = logging.getLogger(__name__)


async def record_follow_up(deps: Deps, answer: FollowUpAnswer, ordinal: int, at_ms: int) -> str:
    try:
        await deps.incident_store.get(answer.incident_id)
    except NotFound:
        logger.info("follow-up answer for an unknown incident", extra={"answer": answer.answer})
        return "follow_up_unknown_incident"
    await deps.inbound_records.follow_up_answer(answer.incident_id, ordinal, answer.answer, at_ms)
    FOLLOW_UP_ANSWERS.labels(answer.answer).inc()
    logger.info(
        "follow-up answered",
        extra={"incident_id": answer.incident_id, "answer": answer.answer},
    )
    return f"follow_up_{answer.answer}"
