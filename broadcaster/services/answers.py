"""Answering customers who write in, without an agent: the live status and ETA of the
incidents affecting them, in their language, as free-form text.

Their message opened the 24 h customer-service window, so no template is needed. Every
answer takes a slot from the sender number's pacer, like a broadcast message, and a turn of
the customer's pair rate (a small burst: the answer does not wait behind the notice). A customer
is not sent the same answer twice within the cooldown, opted-out customers get none, and
numbers not in the directory never reach this module (we cannot know their outage, and
must not tell strangers about our customers' incidents).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Mapping
from datetime import datetime, timedelta

from broadcaster.adapters.whatsapp import SendFailed, text_payload
from broadcaster.bootstrap import Deps
from broadcaster.domain.customers import Customer
from broadcaster.domain.incidents import Incident
from broadcaster.domain.segments import matches
from broadcaster.domain.send_errors import Action, pair_backoff
from broadcaster.errors import InputError
from broadcaster.metrics import AUTO_REPLIES, AUTO_REPLY_DURATION
from broadcaster.replies import ReplyKind
from broadcaster.services.context import customer_context, incident_context
from broadcaster.services.planning import audience_rule
from broadcaster.services.preparation import incident_with_told_eta

logger = logging.getLogger(__name__)
MAX_INCIDENTS = 3  # per answer; more would bury the one that matters
ATTEMPTS = 3
RETRYABLE = frozenset({Action.RETRY, Action.RESCHEDULE})  # definitely not sent


async def send_text(
    deps: Deps, number: str, customer: Customer, text: str, reason: ReplyKind, opaque: str
) -> bool:
    """Send one free-form text at the number's pace; False when WhatsApp refused it.

    Refusals that say "not sent, try later" (throughput, pair rate) are retried twice
    within the job, after Meta's advised wait (4^X s for the pair rate).
    """
    pacer = deps.pacers[number]
    payload = text_payload(customer.wa_id, text, opaque)
    for attempt in range(1, ATTEMPTS + 1):
        await deps.pair_turns.turn(number, customer.wa_id)
        await pacer.wait((await pacer.take(1))[0])
        try:
            await deps.cloud.send(number, payload)
        except SendFailed as failure:
            verdict = failure.verdict
            if verdict.code == 130429:
                await pacer.push_back(1.0)
            if verdict.action in RETRYABLE and attempt < ATTEMPTS:
                wait = pair_backoff(attempt) if verdict.code == 131056 else verdict.backoff
                await asyncio.sleep((wait or timedelta(seconds=1)).total_seconds())
                continue
            AUTO_REPLIES.labels(reason.value, "failed").inc()
            logger.warning("answer not sent", extra={"reason": reason.value, "code": verdict.code})
            return False
        break
    AUTO_REPLIES.labels(reason.value, "sent").inc()
    return True


async def affecting(deps: Deps, customer: Customer, now: datetime) -> list[Incident]:
    """Active incidents whose audience rule selects this customer, newest first."""
    since = now - deps.settings.inbound.incident_lookback
    attributes = dict(customer.index_entries())
    found = []
    for incident in await deps.incident_store.started_since(since):
        if not incident.active:
            continue
        try:
            rule = audience_rule(incident, deps.segments)
        except InputError:
            continue  # a segment was removed since: we cannot tell who it affects
        if matches(rule, attributes):
            found.append(incident)
    return found[:MAX_INCIDENTS]


def status_text(deps: Deps, customer: Customer, incidents: list[Incident]) -> str:
    business = deps.settings.app.business_name
    parts = []
    for stored in incidents:
        incident = incident_with_told_eta(stored, deps.sending.cadence)  # as broadcasts tell it
        context = customer_context(incident_context(incident, business), incident, customer)
        parts.append(deps.replies.render(ReplyKind.STATUS, customer.language, context))
    return "\n\n".join(parts)


async def answer_status(
    deps: Deps, ordinal: int, customer: Customer, number: str, received_ms: int
) -> str:
    """Answer a contact with the live status of what affects the customer, if anything."""
    if not deps.settings.inbound.auto_reply:
        return "contact"
    if (await deps.directory.is_opted_out([ordinal]))[0]:
        return "contact_opted_out"
    incidents = await affecting(deps, customer, deps.clock())
    if not incidents:
        return "contact"
    text = status_text(deps, customer, incidents)
    digest = hashlib.blake2b(text.encode(), digest_size=8).hexdigest()
    records = deps.inbound_records
    cooldown = int(deps.settings.inbound.auto_reply_cooldown.total_seconds())
    if not await records.claim_answer(ordinal, digest, cooldown):
        AUTO_REPLIES.labels(ReplyKind.STATUS.value, "repeat").inc()
        return "answered_before"
    opaque = f"answer:{incidents[0].id}"
    sent = await send_text(deps, number, customer, text, ReplyKind.STATUS, opaque)
    for incident in incidents:
        await records.count_answer(incident.id, "sent" if sent else "failed")
    if not sent:
        await records.release_answer(ordinal)
        return "answer_failed"
    if received_ms:
        waited = deps.clock().timestamp() - received_ms / 1000
        AUTO_REPLY_DURATION.observe(max(0.0, waited))
        logger.info("answered", extra={"incident_id": incidents[0].id, "seconds": waited})
    return "answered"


def answer_counts(counts: Mapping[str, int]) -> dict[str, int]:
    """The report's ``messages.reply`` from the per-incident answer counts."""
    sent, failed = int(counts.get("sent", 0)), int(counts.get("failed", 0))
    return {"queued": 0, "sent": sent, "delivered": 0, "read": 0, "failed": failed, "skipped": 0}
