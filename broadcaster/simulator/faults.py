"""Faults to inject, switchable while the simulator runs (Python API or ``POST /_sim/faults``).

Each fault reproduces something Meta really does to a sender: 5xx answers, responses lost
after the message was accepted (the duplicate-send trap), slow answers, throughput refusals,
and at-least-once, unordered, sometimes failed status webhooks.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from broadcaster.simulator.graph_errors import UNKNOWN_ERROR


@dataclass
class Faults:
    """Switchable faults; ratios are probabilities per request (or per message) in [0, 1]."""

    # answer 500 (131000) or 503 (131016); the message is NOT accepted
    error_5xx_ratio: float = 0.0
    # ACCEPT and record the message (webhooks follow), then abort the connection unanswered
    drop_ratio: float = 0.0
    # delay the answer to a send by slow_delay_s (the message is accepted first)
    slow_ratio: float = 0.0
    slow_delay_s: float = 2.0
    # answer the next N sends with 130429 whatever the rate (counts down to 0)
    throttle_burst: int = 0
    # share of status webhooks posted twice
    webhook_duplicate_ratio: float = 0.0
    # shuffle the statuses inside each webhook batch
    webhook_reorder: bool = True
    # share of accepted messages whose status flow ends `sent` -> `failed`
    webhook_failure_ratio: float = 0.0
    # the error code those failures carry
    webhook_failure_code: int = UNKNOWN_ERROR


_RATIOS = frozenset(
    {
        "error_5xx_ratio",
        "drop_ratio",
        "slow_ratio",
        "webhook_duplicate_ratio",
        "webhook_failure_ratio",
    }
)
_TYPES: dict[str, type] = {f.name: type(f.default) for f in dataclasses.fields(Faults)}


def fault_problems(faults: Faults) -> list[str]:
    """One line per out-of-range fault setting."""
    out = [
        f"{name} must be within [0, 1]" for name in _RATIOS if not 0.0 <= getattr(faults, name) <= 1
    ]
    if faults.slow_delay_s < 0:
        out.append("slow_delay_s must be >= 0")
    if faults.throttle_burst < 0:
        out.append("throttle_burst must be >= 0")
    return sorted(out)


def update_faults(faults: Faults, changes: Mapping[str, Any]) -> None:
    """Apply a partial update in place, all or nothing; ``ValueError`` names every bad key."""
    problems = []
    converted: dict[str, Any] = {}
    for name, value in changes.items():
        expected = _TYPES.get(name)
        if expected is None:
            problems.append(f"{name}: unknown fault")
        elif expected is float and isinstance(value, int | float) and not isinstance(value, bool):
            converted[name] = float(value)
        elif isinstance(value, expected) and (expected is bool or not isinstance(value, bool)):
            converted[name] = value
        else:
            problems.append(f"{name}: expected {expected.__name__}, got {value!r}")
    candidate = dataclasses.replace(faults, **converted)
    problems += fault_problems(candidate)
    if problems:
        raise ValueError("; ".join(problems))
    for name, value in converted.items():
        setattr(faults, name, value)


def faults_dict(faults: Faults) -> dict[str, Any]:
    return dataclasses.asdict(faults)
