"""The only module that reads the wall clock. Everything else takes ``now`` or a ``Clock``."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The current time as an aware UTC datetime."""
    return datetime.now(UTC)


def monotonic() -> float:
    """Seconds on a clock that never goes back; for pacing and timeouts, not for timestamps."""
    return time.monotonic()
