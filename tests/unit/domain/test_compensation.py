"""Compensation: the worked examples of docs/compensation.md, and the voucher codes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from broadcaster.domain.compensation import (
    CompensationPolicy,
    Exposure,
    Threshold,
    award,
    format_money,
)
from broadcaster.domain.incidents import Severity
from broadcaster.domain.vouchers import Voucher, VoucherStatus, voucher_code

START = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)
POLICY = CompensationPolicy(
    currency="IDR",
    thresholds=[
        Threshold(timedelta(hours=2), amount=Decimal(10000)),
        Threshold(timedelta(hours=6), amount=Decimal(25000)),
        Threshold(timedelta(hours=24), amount=Decimal(50000), percent=Decimal(10)),
    ],
    tier_multipliers={"platinum": Decimal(2), "gold": Decimal("1.5"), "silver": Decimal("1.2")},
    cap=Decimal(200000),
)


def exposed(
    hours: float, tier: str = "standard", fee: str | None = None, **extra: bool
) -> Exposure:
    fee_value = Decimal(fee) if fee else None
    return Exposure(tier, START, START + timedelta(hours=hours), fee_value, **extra)


@pytest.mark.parametrize(
    ("hours", "tier", "fee", "value"),
    [
        (1.5, "standard", None, None),  # shorter than the first threshold: nothing
        (3, "standard", None, Decimal(10000)),
        (3, "platinum", None, Decimal(20000)),
        (7, "gold", None, Decimal(37500)),
        (30, "silver", "300000", Decimal(96000)),  # (50,000 + 10% of 300,000) x 1.2
        (30, "platinum", "2000000", Decimal(200000)),  # 500,000 capped at 200,000
    ],
)
def test_worked_examples(hours, tier, fee, value):
    granted = award(POLICY, Severity.MAJOR, exposed(hours, tier, fee))
    assert (granted.value if granted else None) == value
    if granted:
        assert granted.currency == "IDR"
        assert tier in granted.reason


def test_exclusions_minor_incidents_and_once_a_month():
    assert award(POLICY, Severity.MINOR, exposed(30)) is None
    assert award(POLICY, Severity.MAJOR, exposed(30, compensated_this_month=True)) is None
    every_time = CompensationPolicy("IDR", POLICY.thresholds, once_per_month=False)
    assert award(every_time, Severity.MAJOR, exposed(3, compensated_this_month=True)) is not None


def test_zero_values_and_rounding_to_the_currency_unit():
    free = CompensationPolicy("IDR", [Threshold(timedelta(hours=1))])
    assert award(free, Severity.MAJOR, exposed(2)) is None
    cents = CompensationPolicy(
        "USD", [Threshold(timedelta(hours=1), amount=Decimal("1.005"))], decimals=2
    )
    granted = award(cents, Severity.CRITICAL, exposed(2))
    assert granted is not None
    assert granted.value == Decimal("1.01")


def test_money_formats():
    assert format_money(Decimal(50000), "IDR", 0) == "Rp50.000"
    assert format_money(Decimal("12.5"), "USD", 2) == "USD 12.50"


def test_voucher_codes_are_stable_per_customer_and_secret():
    code = voucher_code("s3cret", "INC-1", "C1")
    assert code == voucher_code("s3cret", "INC-1", "C1")
    assert code != voucher_code("s3cret", "INC-1", "C2")
    assert code != voucher_code("other", "INC-1", "C1")
    assert code.startswith("OB-")
    assert len(code) == 17


def test_voucher_round_trips_through_its_dict():
    voucher = Voucher(
        "INC-1",
        "C1",
        "OB-AAAA-BBBB-CCCC",
        Decimal(10000),
        "IDR",
        "2026-12-24T00:00:00Z",
        "2026-11-24T00:00:00Z",
        VoucherStatus.PENDING,
        "outage >= 2 h, tier gold",
        "gold",
        "ref-1",
    )
    assert Voucher.from_dict(voucher.to_dict()) == voucher
