"""Inbound messages in the worker: opt-out and opt-in keywords, recorded per customer.

WhatsApp does not act on STOP: the business must (Meta's policy). An opt-out is stored in
the directory and wins over every later audience, whatever the CRM export says.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from broadcaster.bootstrap import Deps

logger = logging.getLogger(__name__)


def keyword_set(words: Mapping[str, list[str]]) -> frozenset[str]:
    return frozenset(" ".join(w.upper().split()) for ws in words.values() for w in ws)


def classify_text(text: str, opt_out: frozenset[str], opt_in: frozenset[str]) -> str | None:
    normalised = " ".join(text.upper().replace(".", " ").replace("!", " ").split())
    if normalised in opt_out:
        return "opt_out"
    if normalised in opt_in:
        return "opt_in"
    return None


async def handle_inbound_message(deps: Deps, message: Mapping[str, Any]) -> str:
    """Apply what an inbound message asks for; returns what was done (for the job result)."""
    inbound = deps.settings.inbound
    intent = classify_text(
        str(message.get("text") or message.get("payload") or ""),
        keyword_set(inbound.opt_out_keywords),
        keyword_set(inbound.opt_in_keywords),
    )
    found = await deps.directory.find_by_phone("+" + str(message["from_number"]).lstrip("+"))
    if found is None:
        return "unknown_sender"
    ordinal, customer = found
    if intent is None:
        return "contact"
    changed = await deps.directory.set_opted_out(ordinal, intent == "opt_out")
    logger.info(
        "customer consent changed" if changed else "consent unchanged",
        extra={"customer_id": customer.customer_id, "intent": intent},
    )
    return intent
