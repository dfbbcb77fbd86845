"""De-flapping rules: declare after fire_for, resolve after resolve_after, reopen in cooldown."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

from broadcaster.domain import incidents as lc
from broadcaster.domain.correlation import Group, Track
from broadcaster.domain.hysteresis import (
    Confirm,
    Declare,
    Hysteresis,
    Reopen,
    Reserve,
    Resolve,
    Save,
    Wait,
    evaluate,
    plan_declaration,
)
from broadcaster.domain.incidents import Actor, Declaration, Incident, Severity, Status
from broadcaster.domain.policy import Policy
from broadcaster.domain.signals import Source

T0 = datetime(2026, 11, 24, 3, 30, tzinfo=UTC)
RULES = Hysteresis(
    fire_for=timedelta(minutes=2),
    resolve_after=timedelta(minutes=5),
    reopen_cooldown=timedelta(minutes=30),
)
POLICY = Policy()
FIBRE = {"service": "fiber", "region": "jkt", "severity": "critical"}


def minutes(n: float) -> datetime:
    return T0 + timedelta(minutes=n)


def track(fp: str = "fp1", since: float = 0, resolved: float | None = None, **changes) -> Track:
    base = Track(
        Source.ALERTMANAGER,
        fp,
        firing=resolved is None,
        since=minutes(since),
        title=f"Fibre down {fp}",
        labels=FIBRE,
        resolved_at=None if resolved is None else minutes(resolved),
    )
    return dataclasses.replace(base, **changes)


def group(*tracks: Track, incident_id: str | None = None, closed: float | None = None) -> Group:
    return Group(
        "scope:service=fiber,region=jkt",
        {t.key: t for t in tracks},
        incident_id,
        None if closed is None else minutes(closed),
    )


def incident(status: Status = Status.INVESTIGATING, started: float = 0) -> Incident:
    request = Declaration("Fibre down", Severity.CRITICAL, ("fiber",), started_at=minutes(started))
    made = lc.declare("INC-1", request, Actor("intake", "alertmanager"), minutes(started))
    return dataclasses.replace(made.incident, status=status)


def step(g: Group, at: float, inc: Incident | None = None, policy: Policy = POLICY):
    return evaluate(g, inc, minutes(at), RULES, policy)


def test_a_firing_alert_waits_until_it_has_fired_long_enough_then_reserves_an_id():
    assert step(group(track()), 1) == Wait(minutes(2))
    assert step(group(track()), 2) == Reserve()


def test_a_flapping_alert_never_declares_and_its_group_goes_idle():
    flapped = group(track(resolved=1), track("fp2", since=1.5, resolved=3))
    assert step(flapped, 4) == Wait(None, idle=True)


def test_a_reserved_id_is_declared_with_what_the_alerts_say():
    reserved = group(track(), track("fp2", since=1), incident_id="INC-7")
    declared = step(reserved, 2)
    assert isinstance(declared, Declare)
    assert declared.incident_id == "INC-7"
    assert declared.source is Source.ALERTMANAGER
    assert declared.declaration.title == "Fibre down fp1"
    assert declared.declaration.severity is Severity.CRITICAL
    assert declared.declaration.segments == ("fiber",)
    assert declared.declaration.started_at == minutes(0)
    assert declared.declaration.confirmed  # critical alertmanager: auto


def test_a_reservation_is_released_when_the_outage_ended_before_it_was_declared():
    reserved = group(track(resolved=1), incident_id="INC-7")
    assert step(reserved, 3) == Save(dataclasses.replace(reserved, incident_id=None))


def test_an_open_incident_waits_while_anything_fires():
    assert step(group(track(), incident_id="INC-1"), 60, incident()) == Wait()


def test_an_open_incident_resolves_once_everything_stayed_resolved_long_enough():
    quiet = group(track(resolved=10), track("fp2", since=1, resolved=12), incident_id="INC-1")
    assert step(quiet, 14, incident()) == Wait(minutes(17))
    assert step(quiet, 17, incident()) == Resolve("INC-1", minutes(12))


def test_a_resolution_is_never_dated_before_the_incident_started():
    quiet = group(track(resolved=10), incident_id="INC-1")
    assert step(quiet, 20, incident(started=11)) == Resolve("INC-1", minutes(11))


def test_a_pending_incident_resolves_the_same_way_and_is_confirmed_if_the_policy_now_says_auto():
    pending = incident(Status.PENDING)
    assert step(group(track(resolved=3), incident_id="INC-1"), 9, pending) == Resolve(
        "INC-1", minutes(3)
    )
    critical = group(track(), incident_id="INC-1")
    assert step(critical, 3, pending) == Confirm("INC-1")
    warning = group(track(labels={**FIBRE, "severity": "warning"}), incident_id="INC-1")
    assert step(warning, 3, pending) == Wait()


def test_an_incident_closed_elsewhere_is_noted_and_its_firing_alerts_consumed():
    g = group(track(), incident_id="INC-1")
    closed = step(g, 20, incident(Status.RESOLVED))
    assert closed == Save(g.closed(minutes(20)))
    assert step(closed.group, 21, incident(Status.RESOLVED)) == Wait(minutes(50))


def test_a_refire_within_the_cooldown_reopens_the_same_incident():
    g = group(track(resolved=10), track("fp1b", since=30), incident_id="INC-1", closed=16)
    assert step(g, 31, incident(Status.RESOLVED)) == Wait(minutes(32))
    assert step(g, 32, incident(Status.RESOLVED)) == Reopen("INC-1", confirmed=True)
    warning = dataclasses.replace(track("fp1b", since=30), labels={**FIBRE, "severity": "info"})
    g = group(track(resolved=10), warning, incident_id="INC-1", closed=16)
    assert step(g, 32, incident(Status.RESOLVED)) == Reopen("INC-1", confirmed=False)


def test_a_refire_after_the_cooldown_or_after_a_cancel_declares_a_new_incident():
    late = group(track(resolved=10), track("fp2", since=50), incident_id="INC-1", closed=16)
    assert step(late, 52, incident(Status.RESOLVED)) == Reserve()
    soon = group(track("fp2", since=20), incident_id="INC-1", closed=16)
    assert step(soon, 22, incident(Status.CANCELLED)) == Reserve()


def test_a_reopened_incident_takes_its_group_back():
    g = group(track(since=30), incident_id="INC-1", closed=16)
    assert step(g, 33, incident()) == Save(g.reopened())


def test_after_the_cooldown_a_quiet_group_is_idle():
    g = group(track(resolved=10), incident_id="INC-1", closed=16)
    assert step(g, 20, incident(Status.RESOLVED)) == Wait(minutes(46))
    assert step(g, 46, incident(Status.RESOLVED)) == Wait(None, idle=True)
    consumed = group(track(consumed=True), incident_id="INC-1", closed=16)
    assert step(consumed, 50, incident(Status.CANCELLED)) == Wait(None, idle=True)


def test_a_declaration_merges_what_every_firing_alert_says():
    tracks = [
        track("a", since=0, labels={"service": "fiber", "region": "jkt", "severity": "warning"}),
        track("b", since=1, labels={"service": "mobile", "region": "jkt", "severity": "critical"}),
        track("c", since=1.5, title="x" * 300, summary="y" * 2000),
    ]
    declaration, source = plan_declaration(tracks, tracks[:1], POLICY)
    assert source is Source.ALERTMANAGER
    assert declaration.severity is Severity.CRITICAL
    assert declaration.segments == ("fiber", "mobile-data")
    assert declaration.labels == {"region": "jkt"}
    # only the ripe warning decides: it asks for confirmation
    assert not declaration.confirmed
    long, _ = plan_declaration(tracks, tracks[2:], POLICY)
    assert len(long.title) == 200
    assert long.summary is not None
    assert len(long.summary) == 1000


def test_without_a_segment_a_declaration_always_waits_for_a_commander():
    unmapped = [track(labels={"service": "billing", "severity": "critical"})]
    declaration, _ = plan_declaration(unmapped, unmapped, POLICY)
    assert declaration.segments == ()
    assert not declaration.confirmed
    assert declaration.summary is None
