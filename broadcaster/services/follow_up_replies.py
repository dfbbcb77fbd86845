"""Closing the loop: answers to the follow-up's buttons, cases for a human, satisfaction.

``FU:<incident>:ok`` thanks the customer and, if configured, asks for a 1-5 satisfaction
score (inside the window the answer just opened); ``FU:<incident>:down`` opens one case per
customer, acknowledges it, and posts it to the helpdesk when one is configured. Answers are
stored per incident (the latest answer of a customer wins); they are not contacts.
"""

from __future__ import annotations

import logging
from typing import Any

import aiohttp
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from broadcaster.bootstrap import Deps
from broadcaster.domain.customers import Customer
from broadcaster.domain.inbound import FollowUpAnswer
from broadcaster.domain.timefmt import format_rfc3339
from broadcaster.errors import BroadcasterError, NotFound
from broadcaster.metrics import FOLLOW_UP_ANSWERS, FOLLOW_UP_CASES, SATISFACTION_SCORES
from broadcaster.replies import ReplyKind
from broadcaster.services.answers import send_text
from broadcaster.services.context import customer_context, incident_context

logger = logging.getLogger(__name__)


class HelpdeskUnavailable(BroadcasterError):
    """The helpdesk did not take the case; the job retries it."""


async def record_follow_up(
    deps: Deps, answer: FollowUpAnswer, ordinal: int, customer: Customer, number: str, at_ms: int
) -> str:
    try:
        incident = await deps.incident_store.get(answer.incident_id)
    except NotFound:
        logger.info("follow-up answer for an unknown incident", extra={"answer": answer.answer})
        return "follow_up_unknown_incident"
    await deps.inbound_records.follow_up_answer(answer.incident_id, ordinal, answer.answer, at_ms)
    FOLLOW_UP_ANSWERS.labels(answer.answer).inc()
    logger.info("follow-up answered", extra={"incident_id": incident.id, "answer": answer.answer})
    context = customer_context(
        incident_context(incident, deps.settings.app.business_name), incident, customer
    )
    language = customer.language
    opaque = f"follow_up:{incident.id}"
    if answer.answer == "down":
        case = {
            "incident_id": incident.id,
            "customer_id": customer.customer_id,
            "answered_at": format_rfc3339(deps.clock()),
        }
        if await deps.follow_ups.open_case(incident.id, ordinal, case):
            FOLLOW_UP_CASES.inc()
            if deps.settings.followup.helpdesk_url:
                await deps.queue.enqueue(
                    "post_follow_up_case",
                    incident.id,
                    ordinal,
                    job_id=f"case:{incident.id}:{ordinal}",
                )
            text = deps.replies.render(ReplyKind.FOLLOW_UP_CASE, language, context)
            await send_text(deps, number, customer, text, ReplyKind.FOLLOW_UP_CASE, opaque)
        return "follow_up_down"
    text = deps.replies.render(ReplyKind.FOLLOW_UP_OK, language, context)
    reason = ReplyKind.FOLLOW_UP_OK
    if deps.settings.followup.csat:
        # thanks and the 1-5 question in one message: one notification, and no second
        # message to the same person seconds later (Meta's pair rate, 131056)
        await deps.follow_ups.expect_score(ordinal, incident.id)
        question = deps.replies.render(ReplyKind.CSAT, language, context)
        text, reason = f"{text}\n\n{question}", ReplyKind.CSAT
    await send_text(deps, number, customer, text, reason, opaque)
    return "follow_up_ok"


async def record_score(
    deps: Deps, ordinal: int, customer: Customer, number: str, score: int
) -> str | None:
    """A 1-5 answer from a customer we asked; None if we asked nothing (then it is a contact)."""
    incident_id = await deps.follow_ups.take_expected(ordinal)
    if incident_id is None:
        return None
    await deps.follow_ups.record_score(incident_id, ordinal, score)
    SATISFACTION_SCORES.labels(str(score)).inc()
    incident = await deps.incident_store.get(incident_id)
    context = customer_context(
        incident_context(incident, deps.settings.app.business_name), incident, customer
    )
    thanks = deps.replies.render(ReplyKind.CSAT_THANKS, customer.language, context)
    await send_text(deps, number, customer, thanks, ReplyKind.CSAT_THANKS, f"csat:{incident_id}")
    return "csat"


async def post_case(deps: Deps, incident_id: str, ordinal: int) -> bool:
    """Hand a "still broken" case to the helpdesk (idempotency key: incident and customer)."""
    case = await deps.follow_ups.case(incident_id, ordinal)
    if case is None or case.get("posted"):
        return False
    customer = (await deps.directory.get_many([ordinal]))[0]
    incident = await deps.incident_store.get(incident_id)
    body: dict[str, Any] = {
        **case,
        "incident_title": incident.title,
        "phone": customer.phone if customer else "",
        "name": customer.name if customer else "",
    }
    cfg = deps.settings.followup
    headers = {"Idempotency-Key": f"{incident_id}|{case['customer_id']}"}
    if cfg.helpdesk_token:
        headers["Authorization"] = f"Bearer {cfg.helpdesk_token.reveal()}"
    async for attempt in AsyncRetrying(
        retry=retry_if_exception_type(HelpdeskUnavailable),
        stop=stop_after_attempt(3),
        wait=wait_exponential(multiplier=0.5, max=5),
        reraise=True,
    ):
        with attempt:
            await _post(deps.http, cfg.helpdesk_url, body, headers)
    await deps.follow_ups.mark_posted(incident_id, ordinal, case)
    return True


async def _post(
    session: aiohttp.ClientSession, url: str, body: dict[str, Any], headers: dict[str, str]
) -> None:
    try:
        async with session.post(url, json=body, headers=headers) as response:
            if response.status >= 300:
                raise HelpdeskUnavailable(f"helpdesk answered {response.status}")
    except (TimeoutError, aiohttp.ClientError) as exc:
        raise HelpdeskUnavailable(f"helpdesk: {exc!r}") from exc
