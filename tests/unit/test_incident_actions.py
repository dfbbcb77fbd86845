"""Which broadcasts a lifecycle change plans (the outbox entries of IncidentService)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from broadcaster.domain import incidents as lc
from broadcaster.domain.incidents import Actor, Declaration, Severity, Status, Update
from broadcaster.services.incidents import Timings, actions_for

NOW = datetime(2026, 11, 24, 3, 40, tzinfo=UTC)
ALICE = Actor("alice", "api")


def planned(outcome: lc.Outcome) -> list[str]:
    return [action["job_id"] for action in actions_for(outcome)]


def live(notified: bool = False) -> lc.Incident:
    made = lc.declare("INC-1", Declaration("x", Severity.MAJOR, ("fiber",)), ALICE, NOW).incident
    return lc.mark_notified(made, None) if notified else made


def test_going_live_plans_a_notice_and_a_pending_incident_plans_nothing():
    assert planned(
        lc.declare("INC-1", Declaration("x", Severity.MAJOR, ("fiber",)), ALICE, NOW)
    ) == ["plan:INC-1:notice:r1"]
    pending = lc.declare(
        "INC-1", Declaration("x", Severity.MAJOR, ("fiber",), confirmed=False), ALICE, NOW
    )
    assert planned(pending) == []
    assert planned(lc.confirm(pending.incident, ALICE, NOW)) == ["plan:INC-1:notice:r2"]
    moved = lc.update(pending.incident, Update(status=Status.IDENTIFIED), ALICE, NOW)
    assert planned(moved) == ["plan:INC-1:notice:r2"]


def test_eta_and_status_changes_plan_an_update_and_notes_nothing():
    incident = live()
    later = Update(eta=NOW + timedelta(hours=2))
    assert planned(lc.update(incident, later, ALICE, NOW)) == ["update:INC-1"]
    assert planned(lc.update(incident, Update(note="crew on site"), ALICE, NOW)) == []


def test_new_segments_plan_a_notice_and_with_a_new_eta_an_update_too():
    incident = live()
    wider = Update(segments=("fiber", "mobile-data"), eta=NOW + timedelta(hours=1))
    assert planned(lc.update(incident, wider, ALICE, NOW)) == [
        "plan:INC-1:notice:r2",
        "update:INC-1",
    ]


def test_a_resolution_is_announced_only_to_an_incident_customers_heard_of():
    assert planned(lc.resolve(live(), ALICE, NOW)) == []
    assert planned(lc.resolve(live(notified=True), ALICE, NOW)) == [
        "plan:INC-1:resolution:r3",
        "vouchers:INC-1:r3",
        "plan:INC-1:follow_up:r3",
    ]


def test_a_reopening_plans_a_notice_only_when_it_goes_live():
    resolved = lc.resolve(live(notified=True), ALICE, NOW).incident
    assert planned(lc.reopen(resolved, ALICE, NOW)) == ["plan:INC-1:notice:r4"]
    assert planned(lc.reopen(resolved, ALICE, NOW, confirmed=False)) == []


def test_updates_wait_out_the_coalescing_window_and_follow_ups_a_day():
    timings = Timings(coalesce=timedelta(minutes=2), follow_up=timedelta(hours=24))
    update = actions_for(
        lc.update(live(), Update(eta=NOW + timedelta(hours=2)), ALICE, NOW), timings
    )
    assert update[0]["defer_seconds"] == 120
    resolved = actions_for(lc.resolve(live(notified=True), ALICE, NOW), timings)
    assert resolved[-1]["defer_seconds"] == 24 * 3600
    quiet = actions_for(
        lc.resolve(live(notified=True), ALICE, NOW), Timings(follow_up=None, vouchers=False)
    )
    assert [a["job_id"] for a in quiet] == ["plan:INC-1:resolution:r3"]
