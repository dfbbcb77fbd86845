"""The incident lifecycle: legal moves, refused moves (409 with a reason), audit, round trips."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from broadcaster.domain import incidents as lc
from broadcaster.domain.incidents import (
    Actor,
    ChangeKind,
    Declaration,
    Incident,
    Severity,
    Status,
    Update,
)
from broadcaster.errors import Conflict, InputError

NOW = datetime(2026, 11, 24, 3, 40, tzinfo=UTC)
ALICE = Actor("alice", "api")


def declared(confirmed: bool = True, segments: tuple[str, ...] = ("fiber",)) -> Incident:
    request = Declaration("Fibre cut", Severity.MAJOR, segments, confirmed=confirmed)
    return lc.declare("INC-1", request, ALICE, NOW).incident


def kinds(outcome: lc.Outcome) -> list[ChangeKind]:
    return [change.kind for change in outcome.changes]


def test_a_confirmed_declaration_is_live_at_once_and_audited():
    request = Declaration(
        "Fibre cut",
        Severity.CRITICAL,
        ("fiber",),
        eta=NOW + timedelta(hours=2),
        labels={"region": "jkt"},
        started_at=NOW - timedelta(minutes=7),
        holdout_percent=10.0,
    )
    outcome = lc.declare("INC-7", request, Actor("intake", "alertmanager"), NOW)
    incident = outcome.incident
    assert incident.holdout_percent == 10.0
    assert incident.status is Status.INVESTIGATING
    assert incident.active
    assert incident.declared_at == NOW
    assert incident.started_at == NOW - timedelta(minutes=7)
    assert incident.source == "alertmanager"
    assert kinds(outcome) == [ChangeKind.DECLARED, ChangeKind.CONFIRMED]
    assert outcome.audit.to_dict() == {
        "at": "2026-11-24T03:40:00Z",
        "actor": "intake",
        "source": "alertmanager",
        "action": "declare",
        "changes": {"status": "investigating"},
    }


def test_an_unconfirmed_declaration_waits_pending_and_is_not_declared_yet():
    outcome = lc.declare("INC-1", Declaration("x", Severity.MINOR, (), confirmed=False), ALICE, NOW)
    assert outcome.incident.status is Status.PENDING
    assert outcome.incident.declared_at is None
    assert outcome.incident.started_at == NOW
    assert kinds(outcome) == [ChangeKind.DECLARED]
    assert not outcome.incident.active, "not customer-facing until confirmed"


def test_a_declaration_with_a_past_eta_is_refused():
    request = Declaration("x", Severity.MINOR, ("fiber",), eta=NOW)
    with pytest.raises(InputError, match="eta must be in the future"):
        lc.declare("INC-1", request, ALICE, NOW)


def test_confirm_takes_a_pending_incident_live():
    later = NOW + timedelta(minutes=3)
    outcome = lc.confirm(declared(confirmed=False), ALICE, later)
    assert outcome.incident.status is Status.INVESTIGATING
    assert outcome.incident.declared_at == later
    assert outcome.incident.revision == 2
    assert kinds(outcome) == [ChangeKind.CONFIRMED]


def test_confirm_refuses_anything_but_pending_and_an_incident_without_segments():
    with pytest.raises(Conflict, match="only a pending one is confirmed"):
        lc.confirm(declared(), ALICE, NOW)
    with pytest.raises(Conflict, match="names no segment"):
        lc.confirm(declared(confirmed=False, segments=()), ALICE, NOW)


def test_status_moves_follow_the_lifecycle():
    incident = declared()
    identified = lc.update(incident, Update(status=Status.IDENTIFIED), ALICE, NOW).incident
    monitoring = lc.update(identified, Update(status=Status.MONITORING), ALICE, NOW)
    assert monitoring.incident.status is Status.MONITORING
    assert monitoring.audit.changes == {"status": ["identified", "monitoring"]}
    back = lc.update(monitoring.incident, Update(status=Status.INVESTIGATING), ALICE, NOW)
    assert back.incident.status is Status.INVESTIGATING
    assert back.incident.revision == 4


@pytest.mark.parametrize(
    ("target", "hint"),
    [
        (Status.PENDING, "to pending$"),
        (Status.RESOLVED, "use resolve"),
        (Status.CANCELLED, "use cancel"),
    ],
)
def test_illegal_status_moves_are_refused_with_the_reason(target, hint):
    with pytest.raises(Conflict, match=hint):
        lc.update(declared(), Update(status=target), ALICE, NOW)


def test_an_update_from_pending_confirms_it_but_only_with_segments():
    outcome = lc.update(declared(confirmed=False), Update(status=Status.IDENTIFIED), ALICE, NOW)
    assert kinds(outcome) == [ChangeKind.STATUS, ChangeKind.CONFIRMED]
    assert outcome.incident.declared_at == NOW
    with pytest.raises(Conflict, match="names no segment"):
        lc.update(
            declared(confirmed=False, segments=()), Update(status=Status.IDENTIFIED), ALICE, NOW
        )


def test_segments_can_be_set_and_then_a_pending_incident_confirmed_in_one_update():
    incident = declared(confirmed=False, segments=())
    request = Update(segments=("fiber", "mobile-data"), status=Status.INVESTIGATING)
    outcome = lc.update(incident, request, ALICE, NOW)
    assert outcome.incident.segments == ("fiber", "mobile-data")
    assert kinds(outcome) == [ChangeKind.SCOPE, ChangeKind.STATUS, ChangeKind.CONFIRMED]
    assert outcome.changes[0].new == "fiber,mobile-data"
    assert outcome.audit.changes["segments"] == [[], ["fiber", "mobile-data"]]


def test_one_update_changes_several_things_and_records_each_in_order():
    incident = declared()
    eta = NOW + timedelta(hours=2)
    request = Update(eta=eta, status=Status.IDENTIFIED, note="splice crew on site")
    outcome = lc.update(incident, request, ALICE, NOW)
    assert outcome.incident.status is Status.IDENTIFIED
    assert outcome.incident.eta == eta
    assert outcome.incident.note == "splice crew on site"
    assert outcome.incident.revision == incident.revision + 1
    assert kinds(outcome) == [ChangeKind.STATUS, ChangeKind.ETA, ChangeKind.NOTE]
    assert outcome.audit.changes["status"] == ["investigating", "identified"]


def test_eta_set_changed_and_cleared():
    incident = declared()
    first = lc.update(incident, Update(eta=NOW + timedelta(hours=1)), ALICE, NOW)
    assert first.changes[0] == lc.Change(ChangeKind.ETA, None, "2026-11-24T04:40:00Z")
    later = lc.update(first.incident, Update(eta=NOW + timedelta(hours=3)), ALICE, NOW)
    assert later.incident.eta == NOW + timedelta(hours=3)
    cleared = lc.update(later.incident, Update(clear_eta=True), ALICE, NOW)
    assert cleared.incident.eta is None
    assert cleared.audit.changes == {"eta": ["2026-11-24T06:40:00Z", None]}
    with pytest.raises(InputError, match="eta must be in the future"):
        lc.update(incident, Update(eta=NOW - timedelta(minutes=1)), ALICE, NOW)


def test_a_note_is_a_change_and_an_update_that_changes_nothing_is_refused():
    incident = declared()
    noted = lc.update(incident, Update(note="crew on site"), ALICE, NOW)
    assert noted.incident.note == "crew on site"
    assert kinds(noted) == [ChangeKind.NOTE]
    with pytest.raises(Conflict, match="nothing changed"):
        lc.update(incident, Update(status=Status.INVESTIGATING, segments=("fiber",)), ALICE, NOW)
    with pytest.raises(InputError, match="at least one of"):
        lc.update(incident, Update(), ALICE, NOW)


def test_terminal_incidents_no_longer_change():
    resolved = lc.resolve(declared(), ALICE, NOW).incident
    with pytest.raises(Conflict, match="can no longer change"):
        lc.update(resolved, Update(note="x"), ALICE, NOW)
    with pytest.raises(Conflict, match="already resolved"):
        lc.resolve(resolved, ALICE, NOW)
    with pytest.raises(Conflict, match="already resolved"):
        lc.cancel(resolved, ALICE, NOW)


def test_resolve_records_when_service_came_back_and_keeps_or_replaces_the_note():
    incident = lc.update(declared(), Update(note="crew on site"), ALICE, NOW).incident
    at = NOW + timedelta(minutes=5)
    outcome = lc.resolve(incident, ALICE, NOW + timedelta(minutes=9), resolved_at=at)
    assert outcome.incident.resolved_at == at
    assert outcome.incident.note == "crew on site"
    assert outcome.audit.changes == {"resolved_at": "2026-11-24T03:45:00Z"}
    assert lc.resolve(incident, ALICE, NOW, note="fixed").incident.note == "fixed"


def test_resolve_refuses_a_time_in_the_future_or_before_the_start():
    incident = declared()
    with pytest.raises(InputError, match="future"):
        lc.resolve(incident, ALICE, NOW, resolved_at=NOW + timedelta(seconds=1))
    with pytest.raises(InputError, match="before the incident started"):
        lc.resolve(incident, ALICE, NOW, resolved_at=NOW - timedelta(seconds=1))


def test_cancel_is_for_false_alarms_nobody_heard_about():
    outcome = lc.cancel(declared(confirmed=False), ALICE, NOW, note="probe glitch")
    assert outcome.incident.status is Status.CANCELLED
    assert outcome.incident.note == "probe glitch"
    assert outcome.audit.changes == {"note": "probe glitch"}
    assert kinds(outcome) == [ChangeKind.CANCELLED]
    with pytest.raises(Conflict, match="already cancelled"):
        lc.cancel(outcome.incident, ALICE, NOW)
    told = lc.mark_notified(declared(), None)
    with pytest.raises(Conflict, match="resolve it instead"):
        lc.cancel(told, ALICE, NOW)


def test_reopen_brings_a_resolved_incident_back_live_or_pending():
    resolved = lc.resolve(declared(), ALICE, NOW).incident
    live = lc.reopen(resolved, Actor("intake", "alertmanager"), NOW)
    assert live.incident.status is Status.INVESTIGATING
    assert live.incident.resolved_at is None
    assert live.changes == (lc.Change(ChangeKind.REOPENED, "resolved", "investigating"),)
    assert (resolved.episode, live.incident.episode) == (0, 1), "a new episode"
    assert Incident.from_dict(live.incident.to_dict()) == live.incident
    pending = lc.reopen(resolved, ALICE, NOW, confirmed=False)
    assert pending.incident.status is Status.PENDING
    assert pending.audit.changes == {"status": "pending"}


def test_reopen_refuses_what_is_not_resolved_and_live_without_segments():
    with pytest.raises(Conflict, match="only a resolved one reopens"):
        lc.reopen(declared(), ALICE, NOW)
    bare = lc.resolve(declared(confirmed=False, segments=()), ALICE, NOW).incident
    with pytest.raises(Conflict, match="names no segment"):
        lc.reopen(bare, ALICE, NOW)
    assert lc.reopen(bare, ALICE, NOW, confirmed=False).incident.status is Status.PENDING


def test_mark_notified_keeps_the_first_eta_customers_heard():
    incident = declared()
    first = lc.mark_notified(incident, NOW + timedelta(hours=1))
    again = lc.mark_notified(first, NOW + timedelta(hours=5))
    assert first.notified
    assert first.first_eta == NOW + timedelta(hours=1)
    assert again.first_eta == NOW + timedelta(hours=1)


def test_an_incident_survives_a_round_trip_through_its_stored_form():
    incident = dataclasses.replace(
        lc.mark_notified(declared(), NOW + timedelta(hours=1)),
        labels={"region": "jkt"},
        summary="cut near Blok M",
        eta=NOW + timedelta(hours=2),
        resolved_at=NOW + timedelta(hours=3),
        note="n",
        holdout_percent=10.0,
    )
    assert Incident.from_dict(incident.to_dict()) == incident
    minimal = {
        "id": "INC-9",
        "title": "t",
        "severity": "minor",
        "status": "pending",
        "started_at": "2026-11-24T03:40:00Z",
        "source": "api",
    }
    loaded = Incident.from_dict(minimal)
    assert loaded.segments == ()
    assert loaded.revision == 1
    assert not loaded.notified
