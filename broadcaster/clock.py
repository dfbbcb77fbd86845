"""The only module that reads the wall clock. Everything else takes ``now`` or a ``Clock``."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The current time as an aware UTC datetime."""
    return datetime.now(UTC)


def monotonic() -> float:
    """Seconds on a clock that never goes back; for pacing and timeouts, not for timestamps."""
    return time.monotonic()


class ShiftedClock:
    """The wall clock moved by an offset that can grow: the demo (and tests) let hours of an
    outage pass in seconds while timers that run on real time (arq's) keep working."""

    def __init__(self, start: datetime | None = None) -> None:
        self.offset = (start - utc_now()) if start else timedelta(0)

    def __call__(self) -> datetime:
        return utc_now() + self.offset

    def advance(self, delta: timedelta) -> None:
        self.offset += delta
