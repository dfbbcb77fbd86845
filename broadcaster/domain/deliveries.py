"""Per-recipient delivery state: a small monotonic state machine, one byte per recipient.

    pending -> sending -> accepted -> sent -> delivered -> read
                  |          \\-> failed (async, from a status webhook)
                  |-> retry (definitely not sent; again after a backoff)
                  |-> unknown (maybe sent; a status webhook or the reconcile delay decides)
                  |-> failed (permanent)
    pending/retry/unknown -> skipped (cancelled, opted out since) | waiting_budget
    pending/retry -> held (quiet hours, minimum interval) -> sending when its time comes

Intent is recorded (``sending``, attempt + 1) before the HTTP request; a crash leaves the
recipient in ``sending`` with a deadline, after which it counts as ``unknown``. Status
webhooks only move a recipient forward: accepted < sent < delivered < read; ``failed`` may
follow ``sent`` but never ``delivered``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum


class State(IntEnum):
    PENDING = 0
    SENDING = 1
    ACCEPTED = 2
    SENT = 3
    DELIVERED = 4
    READ = 5
    FAILED = 6
    UNKNOWN = 7
    RETRY = 8
    SKIPPED = 9
    WAITING_BUDGET = 10
    HELD = 11  # cadence: quiet hours or the minimum interval; sent when its time comes

    @property
    def label(self) -> str:
        return self.name.lower()


# states a chunk job may (re)claim: their due time, if any, must have passed
CLAIMABLE = frozenset(
    {State.PENDING, State.RETRY, State.UNKNOWN, State.SENDING, State.WAITING_BUDGET, State.HELD}
)
# the message reached WhatsApp: nothing more to do for this recipient
REACHED = frozenset({State.ACCEPTED, State.SENT, State.DELIVERED, State.READ})
FINAL = REACHED | {State.FAILED, State.SKIPPED}
# states that hold a deadline in the broadcast's due hash
TIMED = frozenset({State.SENDING, State.UNKNOWN, State.RETRY, State.WAITING_BUDGET, State.HELD})

_FROM: Mapping[State, frozenset[State]] = {
    State.SENDING: CLAIMABLE,
    # outcomes of our own request apply only while it is still ours (same attempt)
    State.ACCEPTED: frozenset({State.SENDING, State.UNKNOWN}),
    State.RETRY: frozenset({State.SENDING}),
    State.UNKNOWN: frozenset({State.SENDING}),
    # status webhooks: forward only; an older attempt's success still counts. Delivered and
    # read also after we gave up on a recipient whose answers never came (failed after
    # max_attempts): they prove delivery, where a late "sent" may just be out of order.
    # Skipped is our decision, not Meta's (a cancel skips a send whose worker died, its
    # request maybe out): any success about it is the truth and corrects the report
    State.SENT: frozenset(
        {State.PENDING, State.SENDING, State.ACCEPTED, State.UNKNOWN, State.RETRY, State.SKIPPED}
    ),
    State.DELIVERED: frozenset(
        {
            State.PENDING,
            State.SENDING,
            State.ACCEPTED,
            State.SENT,
            State.UNKNOWN,
            State.RETRY,
            State.FAILED,
            State.SKIPPED,
        }
    ),
    State.READ: frozenset(
        {
            State.PENDING,
            State.SENDING,
            State.ACCEPTED,
            State.SENT,
            State.DELIVERED,
            State.UNKNOWN,
            State.RETRY,
            State.FAILED,
            State.SKIPPED,
        }
    ),
    State.FAILED: frozenset({State.SENDING, State.ACCEPTED, State.SENT, State.UNKNOWN}),
    State.SKIPPED: frozenset(
        {
            State.PENDING,
            State.RETRY,
            State.UNKNOWN,
            State.WAITING_BUDGET,
            State.SENDING,
            State.HELD,
        }
    ),
    State.WAITING_BUDGET: frozenset({State.SENDING}),
    # decided before the claim, so never from sending
    State.HELD: frozenset({State.PENDING, State.RETRY, State.HELD, State.WAITING_BUDGET}),
}


def allowed_from(target: State) -> frozenset[State]:
    """The states from which ``target`` may be entered."""
    return _FROM.get(target, frozenset())


def source_mask(target: State) -> int:
    """``allowed_from`` as a bitmask, for the Lua transition script."""
    mask = 0
    for state in allowed_from(target):
        mask |= 1 << state
    return mask


def can_move(current: State, target: State) -> bool:
    return current in allowed_from(target)


WEBHOOK_STATUS = {
    "sent": State.SENT,
    "delivered": State.DELIVERED,
    "read": State.READ,
    "played": State.READ,
    "failed": State.FAILED,
}


@dataclass(frozen=True, slots=True)
class Recipient:
    """Addresses one recipient of one broadcast in webhooks: ``biz_opaque_callback_data``."""

    broadcast_id: str
    index: int
    attempt: int

    def opaque(self) -> str:
        return f"{self.broadcast_id}|{self.index}|{self.attempt}"

    @classmethod
    def parse(cls, opaque: str) -> Recipient | None:
        parts = opaque.split("|")
        if len(parts) != 3 or not parts[0]:
            return None
        try:
            return cls(parts[0], int(parts[1]), int(parts[2]))
        except ValueError:
            return None


@dataclass(frozen=True, slots=True)
class Tally:
    """The CONTRACT report's per-kind message counts, from counts by state."""

    queued: int
    sent: int
    delivered: int
    read: int
    failed: int
    skipped: int = 0
    unknown: int = 0
    held: int = 0

    @classmethod
    def from_counts(cls, counts: Mapping[str, int]) -> Tally:
        def total(*states: State) -> int:
            return sum(int(counts.get(s.label, 0)) for s in states)

        return cls(
            queued=total(
                State.PENDING,
                State.SENDING,
                State.RETRY,
                State.UNKNOWN,
                State.WAITING_BUDGET,
                State.HELD,
            ),
            sent=total(State.ACCEPTED, State.SENT, State.DELIVERED, State.READ),
            delivered=total(State.DELIVERED, State.READ),
            read=total(State.READ),
            failed=total(State.FAILED),
            skipped=total(State.SKIPPED),
            unknown=total(State.UNKNOWN),
            held=total(State.HELD),
        )

    def __add__(self, other: Tally) -> Tally:
        return Tally(
            self.queued + other.queued,
            self.sent + other.sent,
            self.delivered + other.delivered,
            self.read + other.read,
            self.failed + other.failed,
            self.skipped + other.skipped,
            self.unknown + other.unknown,
            self.held + other.held,
        )

    def to_dict(self) -> dict[str, int]:
        return {
            "queued": self.queued,
            "sent": self.sent,
            "delivered": self.delivered,
            "read": self.read,
            "failed": self.failed,
            "skipped": self.skipped,
            "held": self.held,
        }


EMPTY_TALLY = Tally(0, 0, 0, 0, 0)
