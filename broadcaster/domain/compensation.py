"""Compensation sized to the harm: outage duration x tier -> a voucher value, or none.

Rules are thresholds on the duration a customer was without service: the highest threshold
reached gives a fixed amount and/or a percentage of the customer's monthly fee. The tier
multiplier scales it (Platinum is promised more), the cap bounds it, and exclusions (minor
incidents, customers already compensated this month) can remove it. Worked examples are in
docs/compensation.md and tested in tests/unit/domain/test_compensation.py.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from broadcaster.domain.incidents import Severity


@dataclass(frozen=True, slots=True)
class Threshold:
    """From ``after`` of outage on: ``amount`` plus ``percent`` of the monthly fee."""

    after: timedelta
    amount: Decimal = Decimal(0)
    percent: Decimal = Decimal(0)


@dataclass(frozen=True, slots=True)
class CompensationPolicy:
    currency: str
    thresholds: Sequence[Threshold]
    tier_multipliers: Mapping[str, Decimal] = field(default_factory=dict)
    cap: Decimal | None = None
    decimals: int = 0  # the currency's smallest unit: 0 for IDR, 2 for USD
    exclude_severities: frozenset[Severity] = frozenset({Severity.MINOR})
    once_per_month: bool = True
    # "incident": from the incident's start; "customer": from when the customer was told
    measure_from: str = "incident"


@dataclass(frozen=True, slots=True)
class Award:
    value: Decimal
    currency: str
    duration: timedelta
    reason: str  # which rule, for the ledger and the audit


@dataclass(frozen=True, slots=True)
class Exposure:
    """What one customer went through."""

    tier: str
    started: datetime  # incident start, or when this customer was told
    resolved: datetime
    monthly_fee: Decimal | None = None
    compensated_this_month: bool = False


def award(policy: CompensationPolicy, severity: Severity, exposure: Exposure) -> Award | None:
    """The voucher this customer is owed, or None (too short, excluded, or zero)."""
    if severity in policy.exclude_severities:
        return None
    if policy.once_per_month and exposure.compensated_this_month:
        return None
    duration = max(timedelta(0), exposure.resolved - exposure.started)
    reached = [t for t in policy.thresholds if duration >= t.after]
    if not reached:
        return None
    rule = max(reached, key=lambda t: t.after)
    fee = exposure.monthly_fee or Decimal(0)
    value = rule.amount + fee * rule.percent / 100
    value *= policy.tier_multipliers.get(exposure.tier, Decimal(1))
    if policy.cap is not None:
        value = min(value, policy.cap)
    quantum = Decimal(1).scaleb(-policy.decimals)
    value = value.quantize(quantum, rounding=ROUND_HALF_UP)
    if value <= 0:
        return None
    hours = rule.after.total_seconds() / 3600
    return Award(value, policy.currency, duration, f"outage >= {hours:g} h, tier {exposure.tier}")


def format_money(value: Decimal, currency: str, decimals: int) -> str:
    """``Rp50.000`` for IDR, ``USD 12.50`` otherwise: how the voucher message shows it."""
    if currency == "IDR":
        return "Rp" + f"{value:,.0f}".replace(",", ".")
    return f"{currency} {value:,.{decimals}f}"
