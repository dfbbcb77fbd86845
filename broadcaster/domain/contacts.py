"""Customer contacts from every channel: validated events, their log lines, a window's tally.

A contact is one customer reaching us (a WhatsApp message, a call, an e-mail, a chat, a
ticket) at a time, on a channel, optionally about a topic. The log stores one text line per
contact, ``ordinal,epoch_ms,channel,topic``; channel and topic are restricted to label
characters so a line can never be forged by a value.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import phonenumbers

from broadcaster.domain.timefmt import parse_rfc3339
from broadcaster.errors import InputError

WHATSAPP = "whatsapp"  # recorded from the webhook, never reported by other systems
MAX_BATCH = 1000
CLOCK_SKEW = timedelta(minutes=5)
LABEL = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")
EXTERNAL_ID = re.compile(r"^[\x21-\x7e]{1,128}$")
_FIELDS = frozenset({"channel", "customer_id", "phone", "time", "topic", "id"})


@dataclass(frozen=True, slots=True)
class ContactEvent:
    """One contact reported by another system; exactly one of ``customer_id``, ``phone``."""

    channel: str
    at: datetime
    customer_id: str = ""
    phone: str = ""
    topic: str = ""
    external_id: str = ""


@dataclass(frozen=True, slots=True)
class LoggedContact:
    ordinal: int
    at_ms: int
    channel: str
    topic: str


def log_line(ordinal: int, at_ms: int, channel: str, topic: str = "") -> bytes:
    return f"{ordinal},{at_ms},{channel},{topic}\n".encode()


def read_log(data: bytes) -> Iterator[LoggedContact]:
    """The contacts in a log string; a malformed line (a torn write) is skipped."""
    for line in data.decode(errors="replace").splitlines():
        parts = line.split(",")
        if len(parts) != 4 or not parts[0].isdigit() or not parts[1].isdigit():
            continue
        yield LoggedContact(int(parts[0]), int(parts[1]), parts[2], parts[3])


def e164(phone: str, region: str) -> str | None:
    """``0812-3456-7890`` (region ID) or ``6281234567890`` -> ``+6281234567890``."""
    try:
        number = phonenumbers.parse(phone, region)
    except phonenumbers.NumberParseException:
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def parse_contacts(
    body: Any, channels: Collection[str], now: datetime, oldest: timedelta
) -> list[ContactEvent]:
    """Validate ``{"contacts": [...]}`` (POST /api/v1/contacts); every problem is listed."""
    if not isinstance(body, Mapping) or set(body) != {"contacts"}:
        raise InputError('expected {"contacts": [...]}')
    items = body["contacts"]
    if not isinstance(items, list) or not 1 <= len(items) <= MAX_BATCH:
        raise InputError(f"contacts: expected a list of 1 to {MAX_BATCH} contacts")
    problems: list[str] = []
    events = [_event(i, item, channels, now, oldest, problems) for i, item in enumerate(items)]
    if problems:
        raise InputError("invalid contacts; none was recorded", problems[:50])
    return [e for e in events if e is not None]


def _event(
    index: int,
    item: Any,
    channels: Collection[str],
    now: datetime,
    oldest: timedelta,
    problems: list[str],
) -> ContactEvent | None:
    where = f"contacts[{index}]"
    if not isinstance(item, Mapping):
        problems.append(f"{where}: expected an object")
        return None
    before = len(problems)
    problems += [f"{where}.{key}: unknown field" for key in sorted(set(item) - _FIELDS)]
    channel = item.get("channel")
    if channel not in channels:
        problems.append(f"{where}.channel: expected one of {', '.join(sorted(channels))}")
    who = [k for k in ("customer_id", "phone") if k in item]
    if len(who) != 1 or not isinstance(item[who[0]], str) or not item[who[0]].strip():
        problems.append(f"{where}: give exactly one of customer_id, phone (a non-empty string)")
    at = _time(item.get("time"), now, oldest, f"{where}.time", problems)
    topic, external_id = item.get("topic", ""), item.get("id", "")
    if not isinstance(topic, str) or (topic and not LABEL.match(topic)):
        problems.append(f"{where}.topic: lower-case letters, digits, '_', '.', '-' (max 64)")
    if not isinstance(external_id, str) or (external_id and not EXTERNAL_ID.match(external_id)):
        problems.append(f"{where}.id: 1-128 printable characters without spaces")
    if len(problems) > before or at is None:
        return None
    return ContactEvent(
        channel=str(channel),
        at=at,
        customer_id=str(item.get("customer_id", "")).strip(),
        phone=str(item.get("phone", "")).strip(),
        topic=str(topic),
        external_id=str(external_id),
    )


def _time(
    value: Any, now: datetime, oldest: timedelta, where: str, problems: list[str]
) -> datetime | None:
    try:
        at = parse_rfc3339(value) if isinstance(value, str) else None
    except ValueError:
        at = None
    if at is None:
        problems.append(f"{where}: required, an RFC 3339 time with offset")
    elif at > now + CLOCK_SKEW:
        problems.append(f"{where}: in the future")
    elif at < now - oldest:
        problems.append(f"{where}: older than the contact retention ({oldest})")
    else:
        return at
    return None


@dataclass
class WindowTally:
    """The contacts of a population within a window: first contact per customer and counts."""

    first: dict[int, int] = field(default_factory=dict)  # ordinal -> earliest epoch ms
    events: Counter[int] = field(default_factory=Counter)
    by_channel: Counter[str] = field(default_factory=Counter)
    by_topic: Counter[str] = field(default_factory=Counter)

    def contacts(self, members: Collection[int]) -> int:
        return sum(n for ordinal, n in self.events.items() if ordinal in members)

    def contacting(self, members: Collection[int]) -> int:
        return sum(1 for ordinal in self.first if ordinal in members)


def tally(
    entries: Sequence[LoggedContact] | Iterator[LoggedContact],
    start_ms: int,
    end_ms: int,
    population: Collection[int],
) -> WindowTally:
    out = WindowTally()
    for entry in entries:
        if not start_ms <= entry.at_ms <= end_ms or entry.ordinal not in population:
            continue
        previous = out.first.get(entry.ordinal)
        if previous is None or entry.at_ms < previous:
            out.first[entry.ordinal] = entry.at_ms
        out.events[entry.ordinal] += 1
        out.by_channel[entry.channel] += 1
        if entry.topic:
            out.by_topic[entry.topic] += 1
    return out
