"""Meta's sending limits: throughput per number, pair rate per recipient, the service window.

Every check is O(1) amortised on the request path: a deque of recent event times per number,
a small token bucket per (number, recipient), a dict of window expiries. Times are
``time.monotonic()`` seconds passed in by the caller, so the classes are easy to test.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence


class ThroughputLimiter:
    """At most ``cap`` events per key in any sliding window of ``window_s`` seconds.

    An event at ``t`` counts in the window ``(t - window_s, t]``, the same rule
    ``max_in_window`` measures with, so the cap and the report agree.
    """

    def __init__(self, window_s: float = 1.0) -> None:
        self._window_s = window_s
        self._events: dict[str, deque[float]] = {}

    def _recent(self, key: str, now: float) -> deque[float]:
        events = self._events.get(key)
        if events is None:
            events = self._events[key] = deque()
        horizon = now - self._window_s
        while events and events[0] <= horizon:
            events.popleft()
        return events

    def has_room(self, key: str, now: float, cap: int) -> bool:
        """True if one more event fits; ``cap == 0`` means uncapped."""
        return cap == 0 or len(self._recent(key, now)) < cap

    def add(self, key: str, now: float) -> None:
        """Count an event (inbound messages count whether or not there was room)."""
        self._recent(key, now).append(now)

    def clear(self) -> None:
        self._events.clear()


class PairLimiter:
    """Meta's pair rate: ``burst`` messages back to back, then one per ``interval_s``.

    A token bucket per (phone number id, recipient): capacity ``burst``, one token back
    every ``interval_s``. ``interval_s == 0`` disables the limit.
    """

    def __init__(self) -> None:
        self._buckets: dict[tuple[str, str], tuple[float, float]] = {}

    def allows(self, key: tuple[str, str], now: float, interval_s: float, burst: int) -> bool:
        return interval_s <= 0 or self._tokens(key, now, interval_s, burst) >= 1.0

    def take(self, key: tuple[str, str], now: float, interval_s: float, burst: int) -> None:
        if interval_s > 0:
            self._buckets[key] = (self._tokens(key, now, interval_s, burst) - 1.0, now)

    def _tokens(self, key: tuple[str, str], now: float, interval_s: float, burst: int) -> float:
        state = self._buckets.get(key)
        if state is None:
            return float(burst)
        tokens, since = state
        return min(float(burst), tokens + (now - since) / interval_s)

    def clear(self) -> None:
        self._buckets.clear()


class ServiceWindows:
    """Customer service windows: open for ``length_s`` after the user's last message."""

    def __init__(self) -> None:
        self._expiry: dict[tuple[str, str], float] = {}

    def open(self, phone_number_id: str, wa_id: str, now: float, length_s: float) -> None:
        self._expiry[(phone_number_id, wa_id)] = now + length_s

    def is_open(self, phone_number_id: str, wa_id: str, now: float) -> bool:
        return self._expiry.get((phone_number_id, wa_id), -1.0) > now

    def clear(self) -> None:
        self._expiry.clear()


def max_in_window(times: Sequence[float], window_s: float) -> int:
    """Most events in any window ``(t - window_s, t]``; ``times`` must be sorted."""
    best = 0
    start = 0
    for end, t in enumerate(times):
        horizon = t - window_s
        while times[start] <= horizon:
            start += 1
        best = max(best, end - start + 1)
    return best
