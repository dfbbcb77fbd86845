"""How often customers hear from us: honest ETAs, significant changes, quiet hours, limits.

Customers trust a conservative ETA that is kept; they hate silence and they hate spam. These
rules decide, for an incident, whether an update is worth sending at all, and for one
customer, whether a message goes now, waits (quiet hours, minimum interval) or not at all
(enough messages already). Pure: every time is a parameter.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from enum import StrEnum

from broadcaster.domain.incidents import Incident, Severity
from broadcaster.domain.templates import Kind


@dataclass(frozen=True, slots=True)
class CadencePolicy:
    coalesce: timedelta = timedelta(minutes=2)
    significant_eta_shift: timedelta = timedelta(minutes=15)
    min_interval: timedelta = timedelta(minutes=30)
    max_per_incident: int = 5
    quiet_start: time = time(21, 0)
    quiet_end: time = time(7, 0)
    promise_every: timedelta = timedelta(minutes=60)
    eta_buffer: timedelta = timedelta(minutes=15)
    eta_round: timedelta = timedelta(minutes=15)


def honest_eta(eta: datetime | None, policy: CadencePolicy) -> datetime | None:
    """The ETA customers are told: the commander's, padded, rounded up to the next step.

    Rounding is on the UTC clock; every zone's offset is a multiple of 15 minutes, so a
    quarter-hour step is a quarter hour in the customer's zone too.
    """
    if eta is None:
        return None
    padded = eta + policy.eta_buffer
    step = int(policy.eta_round.total_seconds())
    if step <= 0:
        return padded
    seconds = padded.timestamp()
    rounded = -(-int(seconds) // step) * step if seconds % step else int(seconds)
    return datetime.fromtimestamp(rounded, UTC)


@dataclass(frozen=True, slots=True)
class Told:
    """What customers were last told about an incident."""

    status: str
    eta: datetime | None


def significant(told: Told | None, incident: Incident, policy: CadencePolicy) -> bool:
    """Is the incident's state different enough from what customers heard to tell them?"""
    if told is None:
        return True
    if told.status != incident.status.value:
        return True
    now_eta = honest_eta(incident.eta, policy)
    if (told.eta is None) != (now_eta is None):
        return True
    if told.eta is None or now_eta is None:
        return False
    return abs(now_eta - told.eta) >= policy.significant_eta_shift


def quiet_until(local_now: datetime, policy: CadencePolicy) -> datetime | None:
    """If ``local_now`` (in the customer's zone) is within quiet hours, when they end."""
    start, end = policy.quiet_start, policy.quiet_end
    if start == end:
        return None
    clock = local_now.timetz().replace(tzinfo=None)
    inside = start <= clock or clock < end if start > end else start <= clock < end
    if not inside:
        return None
    end_day = local_now.date() if clock < end else local_now.date() + timedelta(days=1)
    return datetime.combine(end_day, end, tzinfo=local_now.tzinfo)


class Verdict(StrEnum):
    SEND = "send"
    HOLD = "hold"  # not now: send at ``until``
    DROP = "drop"  # not at all: the customer has heard enough


@dataclass(frozen=True, slots=True)
class Decision:
    verdict: Verdict
    until: datetime | None = None
    reason: str = ""


# kinds that may wait (quiet hours, the minimum interval); only updates are limited in number:
# the follow-up is one message that closes the loop, however many updates came before it
_DISCRETIONARY = frozenset({Kind.UPDATE, Kind.FOLLOW_UP})
LIMITED = frozenset({Kind.UPDATE})


def for_customer(
    kind: Kind,
    severity: Severity,
    local_now: datetime,
    last_message_at: datetime | None,
    sent_for_incident: int,
    policy: CadencePolicy,
) -> Decision:
    """Send, hold or drop one message to one customer.

    Notices, resolutions and vouchers always go (the first word and the last word); updates
    and follow-ups respect the minimum interval and, unless the incident is critical, the
    customer's quiet hours; updates also the per-incident limit (``sent_for_incident`` counts
    updates only).
    """
    if kind not in _DISCRETIONARY:
        return Decision(Verdict.SEND)
    if kind in LIMITED and sent_for_incident >= policy.max_per_incident:
        return Decision(Verdict.DROP, reason="max_per_incident")
    if last_message_at is not None and local_now - last_message_at < policy.min_interval:
        return Decision(Verdict.HOLD, last_message_at + policy.min_interval, "min_interval")
    if severity is not Severity.CRITICAL:
        until = quiet_until(local_now, policy)
        if until is not None:
            return Decision(Verdict.HOLD, until, "quiet_hours")
    return Decision(Verdict.SEND)
