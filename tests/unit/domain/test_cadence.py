"""Cadence rules with a fixed clock: honest ETAs, significance, quiet hours, limits."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from broadcaster.domain.cadence import (
    CadencePolicy,
    Told,
    Verdict,
    for_customer,
    honest_eta,
    quiet_until,
    significant,
)
from broadcaster.domain.incidents import Actor, Declaration, Incident, Severity, Status, declare
from broadcaster.domain.templates import Kind

POLICY = CadencePolicy()
JAKARTA = ZoneInfo("Asia/Jakarta")
NOW = datetime(2026, 11, 24, 7, 0, tzinfo=UTC)  # 14:00 in Jakarta


def incident(eta: datetime | None = None, status: Status = Status.INVESTIGATING) -> Incident:
    made = declare(
        "INC-1", Declaration("x", Severity.MAJOR, ("fiber",), eta=eta), Actor("a", "api"), NOW
    ).incident
    return (
        made
        if status is Status.INVESTIGATING
        else made.__class__(**{**{f: getattr(made, f) for f in made.__slots__}, "status": status})
    )


def test_honest_eta_is_padded_and_rounded_up_to_the_quarter_hour():
    assert honest_eta(datetime(2026, 11, 24, 9, 2, tzinfo=UTC), POLICY) == datetime(
        2026, 11, 24, 9, 30, tzinfo=UTC
    )
    assert honest_eta(datetime(2026, 11, 24, 9, 0, tzinfo=UTC), POLICY) == datetime(
        2026, 11, 24, 9, 15, tzinfo=UTC
    )
    assert honest_eta(None, POLICY) is None
    no_rounding = CadencePolicy(eta_round=timedelta(0))
    assert honest_eta(datetime(2026, 11, 24, 9, 2, tzinfo=UTC), no_rounding) == datetime(
        2026, 11, 24, 9, 17, tzinfo=UTC
    )


def test_an_update_is_significant_when_the_told_eta_moves_enough_or_the_status_changes():
    eta = NOW + timedelta(hours=2, minutes=2)  # 09:02 UTC, told as 09:30
    told = Told("investigating", honest_eta(eta, POLICY))
    assert significant(None, incident(eta), POLICY)
    assert not significant(told, incident(eta + timedelta(minutes=8)), POLICY), "rounds to the same"
    assert significant(told, incident(eta + timedelta(minutes=20)), POLICY)
    assert significant(told, incident(eta, Status.IDENTIFIED), POLICY)
    assert significant(told, incident(None), POLICY), "the ETA was withdrawn"
    assert not significant(Told("investigating", None), incident(None), POLICY)


def test_quiet_hours_across_midnight_end_in_the_morning_local_time():
    evening = datetime(2026, 11, 24, 22, 30, tzinfo=JAKARTA)
    assert quiet_until(evening, POLICY) == datetime(2026, 11, 25, 7, 0, tzinfo=JAKARTA)
    early = datetime(2026, 11, 25, 5, 0, tzinfo=JAKARTA)
    assert quiet_until(early, POLICY) == datetime(2026, 11, 25, 7, 0, tzinfo=JAKARTA)
    assert quiet_until(datetime(2026, 11, 25, 12, 0, tzinfo=JAKARTA), POLICY) is None
    lunch = CadencePolicy(quiet_start=time(12, 0), quiet_end=time(13, 0))
    assert quiet_until(datetime(2026, 11, 25, 12, 30, tzinfo=JAKARTA), lunch) == datetime(
        2026, 11, 25, 13, 0, tzinfo=JAKARTA
    )
    assert quiet_until(datetime(2026, 11, 25, 14, 0, tzinfo=JAKARTA), lunch) is None
    assert quiet_until(evening, CadencePolicy(quiet_start=time(0), quiet_end=time(0))) is None


def test_notices_resolutions_and_vouchers_always_go():
    night = datetime(2026, 11, 24, 23, 0, tzinfo=JAKARTA)
    for kind in (Kind.NOTICE, Kind.RESOLUTION, Kind.VOUCHER):
        assert for_customer(kind, Severity.MINOR, night, night, 99, POLICY).verdict is Verdict.SEND


def test_updates_respect_limits_interval_and_quiet_hours_unless_critical():
    noon = datetime(2026, 11, 24, 12, 0, tzinfo=JAKARTA)
    assert for_customer(Kind.UPDATE, Severity.MAJOR, noon, None, 0, POLICY).verdict is Verdict.SEND
    dropped = for_customer(Kind.UPDATE, Severity.MAJOR, noon, None, 5, POLICY)
    assert (dropped.verdict, dropped.reason) == (Verdict.DROP, "max_per_incident")
    closing = for_customer(Kind.FOLLOW_UP, Severity.MAJOR, noon, None, 5, POLICY)
    assert closing.verdict is Verdict.SEND, "five updates do not cancel the follow-up"
    recent = for_customer(
        Kind.UPDATE, Severity.MAJOR, noon, noon - timedelta(minutes=10), 1, POLICY
    )
    assert (recent.verdict, recent.until) == (Verdict.HOLD, noon + timedelta(minutes=20))
    night = datetime(2026, 11, 24, 23, 0, tzinfo=JAKARTA)
    held = for_customer(Kind.FOLLOW_UP, Severity.MAJOR, night, None, 0, POLICY)
    assert (held.verdict, held.reason) == (Verdict.HOLD, "quiet_hours")
    assert (
        for_customer(Kind.UPDATE, Severity.CRITICAL, night, None, 0, POLICY).verdict is Verdict.SEND
    )
