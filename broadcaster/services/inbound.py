"""Inbound WhatsApp messages: deduplicated by message id and queued by the webhook, handled
by the worker.

The webhook request only records the message (the arq job payload is the durable copy) and
returns. The worker counts the message against the sender number's throughput (Meta counts
inbound traffic too), finds the customer by number and does what the message asks: opt out
or back in, answer a follow-up, or, for anything else, record a contact and answer it with
the live incident status.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any

from broadcaster.adapters.keys import Keys
from broadcaster.adapters.redis_connection import Redis
from broadcaster.adapters.whatsapp_webhooks import InboundMessage
from broadcaster.bootstrap import Deps
from broadcaster.domain.contacts import WHATSAPP
from broadcaster.domain.inbound import (
    Intent,
    classify,
    contact_time_ms,
    keywords,
    parse_follow_up,
    phone_of,
    satisfaction_score,
    type_label,
)
from broadcaster.metrics import CONTACTS, INBOUND_MESSAGES
from broadcaster.ports import JobQueue
from broadcaster.services.answers import answer_status
from broadcaster.services.follow_up_replies import record_follow_up, record_score
from broadcaster.services.opt_out import change_consent

SEEN_TTL_SECONDS = 8 * 24 * 3600  # Meta re-delivers for up to 7 days


async def accept_inbound(
    redis: Redis,
    keys: Keys,
    queue: JobQueue,
    messages: Iterable[InboundMessage],
    received_ms: int = 0,
) -> int:
    """Queue each new message once; returns how many were new."""
    new = 0
    for message in messages:
        seen = keys.seen("wa-in", message.message_id)
        if await redis.exists(seen):
            continue
        # queue first, then remember: a crash in between re-queues (same job id), never drops
        await queue.enqueue(
            "handle_inbound",
            dataclasses.asdict(message),
            received_ms,
            job_id=f"in:{message.message_id}",
        )
        await redis.set(seen, b"1", ex=SEEN_TTL_SECONDS)
        new += 1
    return new


async def handle_inbound_message(
    deps: Deps, message: Mapping[str, Any], received_ms: int = 0
) -> str:
    """Do what one inbound message asks; returns what was done (the job's result)."""
    inbound = InboundMessage(**message)
    INBOUND_MESSAGES.labels(type_label(inbound.type)).inc()
    numbers = deps.settings.whatsapp.phone_number_ids
    number = inbound.phone_number_id or (numbers[0] if numbers else "")
    await deps.pacers[number].take(1)  # the message used one slot of the number's throughput
    phone = phone_of(inbound.from_number)
    found = await deps.directory.find_by_phone(phone) if phone else None
    if found is None:
        return "unknown_sender"
    ordinal, customer = found
    settings = deps.settings.inbound
    intent = classify(
        inbound.type,
        inbound.text,
        inbound.payload,
        keywords(settings.opt_out_keywords),
        keywords(settings.opt_in_keywords),
    )
    now_ms = int(deps.clock().timestamp() * 1000)
    at_ms = contact_time_ms(inbound.timestamp, received_ms or now_ms)
    answer = parse_follow_up(inbound.payload)
    if intent is Intent.FOLLOW_UP and answer is not None:
        return await record_follow_up(deps, answer, ordinal, customer, number, at_ms)
    if intent in (Intent.OPT_OUT, Intent.OPT_IN):
        return await change_consent(deps, ordinal, customer, intent is Intent.OPT_OUT, number)
    if intent is Intent.IGNORED:
        return "ignored"
    score = satisfaction_score(inbound.text) if inbound.type == "text" else None
    if score is not None and (done := await record_score(deps, ordinal, customer, number, score)):
        return done
    dedupe = f"wa:{inbound.message_id}"
    if await deps.contacts.record(ordinal, at_ms, WHATSAPP, dedupe=dedupe, now_ms=now_ms):
        CONTACTS.labels(WHATSAPP).inc()
    return await answer_status(deps, ordinal, customer, number, received_ms)
