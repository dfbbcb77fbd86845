"""An incident's time axis: evenly spaced instants, and cumulative shares along them.

Times are integer milliseconds since the epoch. The chart and the staggered-delivery strata
use the same edges, so what the chart shows is what the strata count.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence


def edges(start_ms: int, end_ms: int, points: int) -> list[int]:
    """``points`` instants from ``start_ms`` to ``end_ms`` inclusive (at least two)."""
    points = max(2, points)
    end_ms = max(end_ms, start_ms + 1)
    span = end_ms - start_ms
    return [start_ms + span * i // (points - 1) for i in range(points)]


def cumulative_share(times: Iterable[int], population: int, at: Sequence[int]) -> list[float]:
    """For each instant in ``at`` (ascending), the share of ``population`` with a time <= it."""
    if population <= 0:
        return [0.0] * len(at)
    ordered = sorted(times)
    return [bisect.bisect_right(ordered, t) / population for t in at]
