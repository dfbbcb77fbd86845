"""What a customer's WhatsApp message asks for: opt out, opt back in, a follow-up answer,
or a contact (a question, a complaint) that counts toward deflection and may get an answer.

WhatsApp does not act on STOP: the business must, in the customer's language and for
quick-reply payloads too (Meta's policy). Every configured language's words apply to every
customer, since people often answer in another language than their profile's.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

FOLLOW_UP_PREFIX = "FU:"
FOLLOW_UP_ANSWERS = frozenset({"ok", "down"})
MESSAGE_TYPES = frozenset({"text", "button", "interactive"})  # metric labels; the rest: "other"
NOT_A_CONTACT = frozenset({"reaction", "system"})  # a thumbs-up or a number change asks nothing
# our receipt time is more precise than Meta's whole seconds, unless the webhook came late
RECEIPT_TRUSTED_MS = 60_000
_PUNCTUATION = re.compile(r"[.!?,;:'\"()]+")


class Intent(StrEnum):
    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"
    FOLLOW_UP = "follow_up"
    CONTACT = "contact"
    IGNORED = "ignored"


@dataclass(frozen=True, slots=True)
class FollowUpAnswer:
    """A reply to a follow-up's quick-reply button: ``FU:<incident>:ok|down``."""

    incident_id: str
    answer: str


def normalise(text: str) -> str:
    """Upper case, punctuation dropped, single spaces: ``" stop! "`` -> ``"STOP"``."""
    return " ".join(_PUNCTUATION.sub(" ", text).upper().split())


def keywords(words: Mapping[str, list[str]]) -> frozenset[str]:
    """Every language's keywords, normalised."""
    return frozenset(normalise(w) for ws in words.values() for w in ws if normalise(w))


def parse_follow_up(payload: str) -> FollowUpAnswer | None:
    if not payload.startswith(FOLLOW_UP_PREFIX):
        return None
    incident_id, _, answer = payload[len(FOLLOW_UP_PREFIX) :].rpartition(":")
    if not incident_id or answer not in FOLLOW_UP_ANSWERS:
        return None
    return FollowUpAnswer(incident_id, answer)


def classify(
    kind: str, text: str, payload: str, opt_out: frozenset[str], opt_in: frozenset[str]
) -> Intent:
    """The intent of one message (``kind`` is its WhatsApp type)."""
    if kind in NOT_A_CONTACT:
        return Intent.IGNORED
    if parse_follow_up(payload) is not None:
        return Intent.FOLLOW_UP
    for candidate in (normalise(payload), normalise(text)):
        if candidate in opt_out:
            return Intent.OPT_OUT
        if candidate in opt_in:
            return Intent.OPT_IN
    return Intent.CONTACT


def satisfaction_score(text: str) -> int | None:
    """A 1-5 answer to the satisfaction question (``"5"``, ``" 4. "``), else None."""
    cleaned = normalise(text)
    return int(cleaned) if cleaned in ("1", "2", "3", "4", "5") else None


def type_label(kind: str) -> str:
    return kind if kind in MESSAGE_TYPES else "other"


def phone_of(wa_id: str) -> str | None:
    """The E.164 number behind a WhatsApp id (digits only), as the directory stores it."""
    digits = wa_id.removeprefix("+")
    if not (digits.isascii() and digits.isdigit() and 7 <= len(digits) <= 15):
        return None
    return "+" + digits


def contact_time_ms(timestamp_s: int, received_ms: int) -> int:
    """When the customer wrote: our receipt time, unless the webhook came late (a retry)."""
    if timestamp_s <= 0:
        return received_ms
    sent_ms = timestamp_s * 1000
    if received_ms and 0 <= received_ms - sent_ms < RECEIPT_TRUSTED_MS:
        return received_ms
    return sent_ms
