"""Settings of service recovery: update cadence, compensation, vouchers, follow-ups.

Frozen dataclasses validated like every other section; config.py composes them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from broadcaster.typed_config import Secret


@dataclass(frozen=True)
class CadenceSettings:
    # ETA changes within this window after the first one collapse into one update (the latest)
    coalesce: timedelta = timedelta(minutes=2)
    # an update is sent only if the told ETA moves at least this much, or the status changes
    significant_eta_shift: timedelta = timedelta(minutes=15)
    # between two messages to one customer (any incident), and at most this many per incident
    min_interval: timedelta = timedelta(minutes=30)
    max_per_incident: int = 5
    # customers' local quiet hours hold non-critical updates until they end
    quiet_start: str = "21:00"
    quiet_end: str = "07:00"
    # without news for this long, customers get a "still working on it" with the current ETA
    promise_every: timedelta = timedelta(minutes=60)
    # the ETA told to customers: the commander's plus a buffer, rounded up to this step
    eta_buffer: timedelta = timedelta(minutes=15)
    eta_round: timedelta = timedelta(minutes=15)

    def problems(self) -> list[tuple[str, str]]:
        out = [
            (key, "expected a time of day like 21:00")
            for key in ("quiet_start", "quiet_end")
            if not _is_clock(getattr(self, key))
        ]
        if self.max_per_incident < 1:
            out.append(("max_per_incident", "expected at least 1"))
        return out


def _is_clock(text: str) -> bool:
    hours, _, minutes = text.partition(":")
    return hours.isdigit() and minutes.isdigit() and int(hours) < 24 and int(minutes) < 60


def _thresholds() -> list[dict[str, float]]:
    return [
        {"hours": 2, "amount": 10000},
        {"hours": 6, "amount": 25000},
        {"hours": 24, "amount": 50000, "percent": 10},
    ]


def _multipliers() -> dict[str, float]:
    return {"platinum": 2.0, "gold": 1.5, "silver": 1.2, "standard": 1.0}


@dataclass(frozen=True)
class CompensationSettings:
    enabled: bool = True
    currency: str = "IDR"
    # digits after the decimal point of the currency's smallest unit (IDR 0, USD 2)
    decimals: int = 0
    # the highest threshold reached applies: amount + percent of the customer's monthly fee
    thresholds: list[dict[str, float]] = field(default_factory=_thresholds)
    tier_multipliers: dict[str, float] = field(default_factory=_multipliers)
    # upper bound of one voucher (0 = none)
    cap: float = 200000.0
    exclude_severities: list[str] = field(default_factory=lambda: ["minor"])
    once_per_month: bool = True
    # "incident": duration from the incident's start; "customer": from the customer's notice
    measure_from: str = "incident"
    # customer attribute holding the monthly fee, for percentage rules
    monthly_fee_attribute: str = "monthly_fee"

    def problems(self) -> list[tuple[str, str]]:
        out = []
        for index, rule in enumerate(self.thresholds):
            extra = set(rule) - {"hours", "amount", "percent"}
            if extra or "hours" not in rule:
                out.append((f"thresholds[{index}]", "expected {hours, amount?, percent?}"))
        if self.measure_from not in ("incident", "customer"):
            out.append(("measure_from", "expected incident or customer"))
        if self.exclude_severities and not set(self.exclude_severities) <= {
            "minor",
            "major",
            "critical",
        }:
            out.append(("exclude_severities", "expected minor, major or critical"))
        return out


@dataclass(frozen=True)
class VoucherSettings:
    # HMAC key of the voucher codes: BROADCASTER_VOUCHERS__SECRET (or secret_file)
    secret: Secret = Secret("")
    prefix: str = "OB"
    valid_for: timedelta = timedelta(days=30)
    # "builtin" (codes made here) or "http" (a voucher/billing provider issues them)
    issuer: str = "builtin"
    provider_url: str = ""
    provider_token: Secret = Secret("")
    provider_timeout: timedelta = timedelta(seconds=10)
    # while the provider is down, pending vouchers are retried this often
    retry_every: timedelta = timedelta(minutes=1)

    def problems(self) -> list[tuple[str, str]]:
        out = []
        if self.issuer not in ("builtin", "http"):
            out.append(("issuer", "expected builtin or http"))
        if self.issuer == "http" and not self.provider_url.startswith(("http://", "https://")):
            out.append(("provider_url", "the http issuer needs a provider URL"))
        return out


@dataclass(frozen=True)
class FollowUpSettings:
    enabled: bool = True
    # how long after resolution customers are asked whether everything works again
    after: timedelta = timedelta(hours=24)
    # "still broken" answers are posted here as follow-up cases (empty = only kept here)
    helpdesk_url: str = ""
    helpdesk_token: Secret = Secret("")
    # after a "works again" answer, ask for a 1-5 satisfaction score
    csat: bool = True
