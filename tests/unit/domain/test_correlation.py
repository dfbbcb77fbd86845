"""Correlation: which group a signal joins, and folding it in idempotently and in any order."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

from broadcaster.domain.correlation import Group, Track, group_key, observe
from broadcaster.domain.incidents import Severity
from broadcaster.domain.signals import Outcome, Signal, SignalState, Source, digest

T0 = datetime(2026, 11, 24, 3, 30, tzinfo=UTC)
NOW = T0 + timedelta(minutes=10)
SCOPE = ["service", "region"]


def firing(fingerprint: str = "fp1", at: datetime = T0, **changes) -> Signal:
    signal = Signal(
        Source.ALERTMANAGER,
        fingerprint,
        SignalState.FIRING,
        "Fibre down",
        at,
        labels={"service": "fiber", "region": "jkt"},
    )
    return dataclasses.replace(signal, **changes)


def resolved(fingerprint: str = "fp1", at: datetime = T0, end: datetime | None = None, **changes):
    return firing(fingerprint, at, state=SignalState.RESOLVED, ended_at=end, **changes)


def fold(*signals: Signal, group: Group | None = None, now: datetime = NOW):
    group = group or Group("scope:service=fiber,region=jkt")
    outcomes = []
    for signal in signals:
        group, outcome = observe(group, signal, now)
        outcomes.append(outcome)
    return group, outcomes


def track(group: Group, fingerprint: str = "fp1") -> Track:
    return group.tracks[f"alertmanager/{fingerprint}"]


def test_alerts_are_grouped_by_their_scope_labels():
    assert group_key(firing(), SCOPE) == "scope:service=fiber,region=jkt"
    partial = firing(labels={"service": "fiber", "region": ""})
    assert group_key(partial, SCOPE) == "scope:service=fiber"


def test_without_scope_labels_an_alert_is_its_own_group_and_incidents_keep_their_id():
    assert group_key(firing(labels={"team": "x"}), SCOPE) == "alertmanager:fp1"
    pagerduty = firing(source=Source.PAGERDUTY, group="Q3TQ")
    assert group_key(pagerduty, SCOPE) == "pagerduty:Q3TQ"


def test_a_new_alert_fires_and_its_resend_is_a_duplicate():
    group, outcomes = fold(firing(), firing())
    assert outcomes == [Outcome.NEW, Outcome.DUPLICATE]
    assert track(group).firing
    assert track(group).since == T0
    assert group.live == [track(group)]
    assert group.firing


def test_a_start_in_the_future_is_capped_at_now():
    group, _ = fold(firing(at=NOW + timedelta(hours=1)))
    assert track(group).since == NOW


def test_a_resolution_ends_the_occurrence_and_later_copies_change_nothing():
    end = T0 + timedelta(minutes=5)
    group, outcomes = fold(firing(), resolved(end=end), resolved(end=end), firing())
    assert outcomes == [Outcome.NEW, Outcome.NEW, Outcome.DUPLICATE, Outcome.DUPLICATE]
    assert not track(group).firing
    assert track(group).resolved_at == end
    assert group.live == []
    assert not group.firing


def test_a_resolution_without_an_end_or_ending_in_the_future_ends_now():
    group, _ = fold(firing(), resolved())
    assert track(group).resolved_at == NOW
    group, _ = fold(firing(), resolved(end=NOW + timedelta(days=1)))
    assert track(group).resolved_at == NOW


def test_a_refire_is_a_new_occurrence():
    refire = T0 + timedelta(minutes=8)
    group, outcomes = fold(firing(), resolved(end=T0 + timedelta(minutes=5)), firing(at=refire))
    assert outcomes[-1] is Outcome.NEW
    assert track(group).firing
    assert track(group).since == refire


def test_an_end_of_an_older_occurrence_does_not_end_the_current_one():
    refire = T0 + timedelta(minutes=8)
    group, outcomes = fold(firing(at=refire), resolved(end=T0 + timedelta(minutes=5)))
    assert outcomes == [Outcome.NEW, Outcome.DUPLICATE]
    assert track(group).firing


def test_an_older_firing_copy_is_stale():
    group, outcomes = fold(firing(at=T0 + timedelta(minutes=2)), firing(at=T0))
    assert outcomes[-1] is Outcome.DUPLICATE
    assert track(group).since == T0 + timedelta(minutes=2)


def test_a_resolution_seen_before_its_firing_wins_over_the_late_firing():
    group, outcomes = fold(resolved(end=T0 + timedelta(minutes=5)), firing())
    assert outcomes == [Outcome.NEW, Outcome.DUPLICATE]
    assert not track(group).firing
    assert track(group).since == T0


def test_an_ongoing_occurrence_keeps_its_start_and_takes_the_newest_description():
    later = firing(at=T0 + timedelta(minutes=3), severity=Severity.CRITICAL, title="Worse")
    group, outcomes = fold(firing(), later)
    assert outcomes == [Outcome.NEW, Outcome.NEW]
    assert track(group).since == T0
    assert track(group).severity is Severity.CRITICAL
    assert track(group).title == "Worse"


def test_after_a_commander_closed_it_only_a_new_occurrence_counts_again():
    group, _ = fold(firing())
    closed = group.closed(NOW)
    assert track(closed).consumed
    assert closed.closed_at == NOW
    assert closed.live == []
    _again, outcomes = fold(firing(), group=closed)
    assert outcomes == [Outcome.DUPLICATE]
    fresh, outcomes = fold(firing(at=T0 + timedelta(minutes=9)), group=closed)
    assert outcomes == [Outcome.NEW]
    assert not track(fresh).consumed
    assert closed.reopened().live == [track(group)]


def test_a_closed_group_does_not_consume_what_already_resolved():
    group, _ = fold(firing(), resolved(end=T0 + timedelta(minutes=1)))
    assert not track(group.closed(NOW)).consumed


def test_groups_and_tracks_survive_their_stored_form():
    group, _ = fold(
        firing(severity=Severity.MAJOR, summary="s"),
        firing("fp2"),
        resolved("fp2", end=T0 + timedelta(minutes=1)),
    )
    group = group.attached("INC-4").closed(NOW)
    assert Group.from_dict(group.to_dict()) == group
    assert group.attached("INC-5").closed_at is None


def test_signals_describe_themselves_and_digests_are_stable():
    signal = resolved(end=NOW, severity=Severity.MINOR)
    assert signal.to_dict()["ended_at"] == "2026-11-24T03:40:00Z"
    assert signal.to_dict()["severity"] == "minor"
    assert firing().to_dict()["severity"] is None
    assert digest("a", {"b": 1}) == digest("a", {"b": 1}) != digest("a", {"b": 2})
