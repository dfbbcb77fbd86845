"""From settings to the domain's policies (the domain never reads configuration)."""

from __future__ import annotations

from datetime import time
from decimal import Decimal

from broadcaster.config import Settings
from broadcaster.domain.cadence import CadencePolicy
from broadcaster.domain.compensation import CompensationPolicy, Threshold
from broadcaster.domain.incidents import Severity
from broadcaster.domain.pricing import PriceTable


def _clock(text: str) -> time:
    hours, _, minutes = text.partition(":")
    return time(int(hours), int(minutes))


def cadence_policy(settings: Settings) -> CadencePolicy:
    c = settings.cadence
    return CadencePolicy(
        coalesce=c.coalesce,
        significant_eta_shift=c.significant_eta_shift,
        min_interval=c.min_interval,
        max_per_incident=c.max_per_incident,
        quiet_start=_clock(c.quiet_start),
        quiet_end=_clock(c.quiet_end),
        promise_every=c.promise_every,
        eta_buffer=c.eta_buffer,
        eta_round=c.eta_round,
    )


def compensation_policy(settings: Settings) -> CompensationPolicy:
    from datetime import timedelta

    c = settings.compensation
    return CompensationPolicy(
        currency=c.currency,
        thresholds=[
            Threshold(
                after=timedelta(hours=rule["hours"]),
                amount=Decimal(str(rule.get("amount", 0))),
                percent=Decimal(str(rule.get("percent", 0))),
            )
            for rule in c.thresholds
        ],
        tier_multipliers={t: Decimal(str(m)) for t, m in c.tier_multipliers.items()},
        cap=Decimal(str(c.cap)) if c.cap else None,
        decimals=c.decimals,
        exclude_severities=frozenset(Severity(s) for s in c.exclude_severities),
        once_per_month=c.once_per_month,
        measure_from=c.measure_from,
    )


def price_table(settings: Settings) -> PriceTable:
    p = settings.pricing
    prices = {"utility": p.utility, "marketing": p.marketing}
    prices |= {"authentication": p.authentication, "service": p.service}
    return PriceTable(p.currency, prices)
