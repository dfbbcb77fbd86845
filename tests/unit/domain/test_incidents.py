"""The incident lifecycle: allowed moves, refused moves, audit entries, request parsing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from broadcaster.domain.incident_requests import parse_declaration, parse_update
from broadcaster.domain.incidents import (
    Actor,
    ChangeKind,
    Declaration,
    Incident,
    Severity,
    Status,
    Update,
    cancel,
    confirm,
    declare,
    mark_notified,
    reopen,
    resolve,
    update,
)
from broadcaster.errors import Conflict, InputError

NOW = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
COMMANDER = Actor("ayu", "api")


def declared(confirmed: bool = True, **changes) -> Incident:
    request = Declaration("Fibre cut", Severity.MAJOR, ("fiber",), confirmed=confirmed, **changes)
    return declare("INC-1", request, COMMANDER, NOW).incident


def kinds(outcome) -> list[ChangeKind]:
    return [c.kind for c in outcome.changes]


def test_a_confirmed_declaration_is_investigating_and_announces_itself():
    outcome = declare("INC-1", Declaration("Cut", Severity.MAJOR, ("fiber",)), COMMANDER, NOW)
    assert outcome.incident.status is Status.INVESTIGATING
    assert outcome.incident.declared_at == NOW
    assert kinds(outcome) == [ChangeKind.DECLARED, ChangeKind.CONFIRMED]
    assert outcome.audit.action == "declare"
    assert outcome.audit.actor == "ayu"


def test_a_pending_declaration_waits_for_confirmation():
    pending = declared(confirmed=False)
    assert pending.status is Status.PENDING
    assert pending.declared_at is None
    confirmed = confirm(pending, COMMANDER, NOW + timedelta(minutes=1))
    assert confirmed.incident.status is Status.INVESTIGATING
    assert confirmed.incident.declared_at == NOW + timedelta(minutes=1)
    assert kinds(confirmed) == [ChangeKind.CONFIRMED]
    with pytest.raises(Conflict, match="only a pending one"):
        confirm(confirmed.incident, COMMANDER, NOW)


def test_an_eta_in_the_past_is_refused():
    with pytest.raises(InputError, match="future"):
        declared(eta=NOW - timedelta(minutes=1))
    with pytest.raises(InputError, match="future"):
        update(declared(), Update(eta=NOW), COMMANDER, NOW)


def test_updates_move_status_and_eta_and_record_what_changed():
    incident = declared()
    eta = NOW + timedelta(hours=2)
    outcome = update(
        incident,
        Update(eta=eta, status=Status.IDENTIFIED, note="splice crew on site"),
        COMMANDER,
        NOW,
    )
    assert outcome.incident.status is Status.IDENTIFIED
    assert outcome.incident.eta == eta
    assert outcome.incident.note == "splice crew on site"
    assert outcome.incident.revision == incident.revision + 1
    assert kinds(outcome) == [ChangeKind.STATUS, ChangeKind.ETA, ChangeKind.NOTE]
    assert outcome.audit.changes["status"] == ["investigating", "identified"]
    cleared = update(outcome.incident, Update(clear_eta=True), COMMANDER, NOW)
    assert cleared.incident.eta is None


def test_an_update_of_a_pending_incident_to_an_active_status_confirms_it():
    outcome = update(declared(confirmed=False), Update(status=Status.IDENTIFIED), COMMANDER, NOW)
    assert ChangeKind.CONFIRMED in kinds(outcome)
    assert outcome.incident.declared_at == NOW


def test_updates_that_change_nothing_or_go_nowhere_are_refused():
    incident = declared()
    with pytest.raises(InputError, match="at least one"):
        update(incident, Update(), COMMANDER, NOW)
    with pytest.raises(Conflict, match="nothing changed"):
        update(incident, Update(status=Status.INVESTIGATING), COMMANDER, NOW)
    with pytest.raises(Conflict, match="use resolve"):
        update(incident, Update(status=Status.RESOLVED), COMMANDER, NOW)
    with pytest.raises(Conflict, match="use cancel"):
        update(incident, Update(status=Status.CANCELLED), COMMANDER, NOW)
    monitoring = update(incident, Update(status=Status.MONITORING), COMMANDER, NOW).incident
    with pytest.raises(Conflict, match="cannot move from monitoring to pending"):
        update(monitoring, Update(status=Status.PENDING), COMMANDER, NOW)


def test_resolve_sets_the_time_and_closes_the_incident():
    incident = declared()
    back = NOW + timedelta(minutes=30)
    outcome = resolve(incident, COMMANDER, NOW + timedelta(hours=1), note="fixed", resolved_at=back)
    assert outcome.incident.status is Status.RESOLVED
    assert outcome.incident.resolved_at == back
    assert outcome.incident.note == "fixed"
    with pytest.raises(Conflict, match="already resolved"):
        resolve(outcome.incident, COMMANDER, NOW)
    with pytest.raises(Conflict, match="can no longer change"):
        update(outcome.incident, Update(note="x"), COMMANDER, NOW)
    with pytest.raises(InputError, match="future"):
        resolve(incident, COMMANDER, NOW, resolved_at=NOW + timedelta(seconds=1))
    with pytest.raises(InputError, match="before the incident started"):
        resolve(incident, COMMANDER, NOW, resolved_at=NOW - timedelta(days=1))


def test_cancel_only_before_customers_were_told():
    incident = declared()
    cancelled = cancel(incident, COMMANDER, NOW, note="false alarm")
    assert cancelled.incident.status is Status.CANCELLED
    assert kinds(cancelled) == [ChangeKind.CANCELLED]
    with pytest.raises(Conflict, match="already cancelled"):
        cancel(cancelled.incident, COMMANDER, NOW)
    told = mark_notified(incident, incident.eta)
    with pytest.raises(Conflict, match="resolve it instead"):
        cancel(told, COMMANDER, NOW)


def test_mark_notified_keeps_the_first_eta_customers_heard():
    first = NOW + timedelta(hours=1)
    told = mark_notified(declared(eta=first), first)
    later = mark_notified(told, NOW + timedelta(hours=3))
    assert later.first_eta == first
    assert later.notified


def test_reopen_only_a_resolved_incident():
    resolved = resolve(declared(), COMMANDER, NOW).incident
    reopened = reopen(resolved, Actor("alertmanager", "alertmanager"), NOW)
    assert reopened.incident.status is Status.INVESTIGATING
    assert reopened.incident.resolved_at is None
    assert (resolved.episode, reopened.incident.episode) == (0, 1)
    assert Incident.from_dict(reopened.incident.to_dict()) == reopened.incident
    assert kinds(reopened) == [ChangeKind.REOPENED]
    with pytest.raises(Conflict, match="only a resolved one"):
        reopen(reopened.incident, COMMANDER, NOW)


def test_incident_round_trips_through_its_dict():
    incident = resolve(
        declared(eta=NOW + timedelta(hours=1), summary="s", labels={"region": "x"}), COMMANDER, NOW
    ).incident
    assert Incident.from_dict(incident.to_dict()) == incident


def test_parse_declaration_accepts_the_contract_body():
    parsed = parse_declaration(
        {
            "title": " Fibre cut ",
            "segments": ["fiber", "fiber"],
            "severity": "critical",
            "eta": "2026-11-24T10:00:00+07:00",
            "summary": None,
            "labels": {"region": "jkt-selatan"},
        },
        known_segments=["fiber"],
    )
    assert parsed.title == "Fibre cut"
    assert parsed.segments == ("fiber",)
    assert parsed.severity is Severity.CRITICAL
    assert parsed.eta == datetime(2026, 11, 24, 3, 0, tzinfo=UTC)


def test_parse_declaration_lists_every_problem():
    with pytest.raises(InputError) as caught:
        parse_declaration(
            {
                "title": "",
                "segments": "fiber",
                "severity": "huge",
                "eta": 5,
                "summary": 3,
                "labels": [1],
                "x": 1,
            },
            known_segments=["fiber"],
        )
    details = caught.value.details
    assert any(d.startswith("title:") for d in details)
    assert any(d.startswith("segments:") for d in details)
    assert any(d.startswith("severity:") for d in details)
    assert any(d.startswith("eta:") for d in details)
    assert any(d.startswith("summary:") for d in details)
    assert any(d.startswith("labels:") for d in details)
    assert "x: unknown field" in details


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ([], "must be a JSON object"),
        ({"title": "t" * 201, "segments": ["fiber"]}, "at most 200"),
        ({"title": "t", "segments": []}, "at least one segment"),
        ({"title": "t", "segments": ["nope"]}, "unknown segment"),
        ({"title": "t"}, "required"),
        ({"title": "t", "segments": ["fiber"], "summary": "s" * 1001}, "at most 1000"),
        ({"title": "t", "segments": ["fiber"], "eta": "2026-11-24T10:00:00"}, "RFC 3339"),
    ],
)
def test_parse_declaration_refusals(body, problem):
    with pytest.raises(InputError) as caught:
        parse_declaration(body, known_segments=["fiber"])
    assert problem in caught.value.message + " ".join(caught.value.details)


def test_a_declaration_may_set_its_own_holdout_share():
    body = {"title": "t", "segments": ["fiber"], "holdout_percent": 10}
    parsed = parse_declaration(body, known_segments=["fiber"])
    assert parsed.holdout_percent == 10.0
    incident = declare("INC-2", parsed, COMMANDER, NOW).incident
    assert incident.holdout_percent == 10.0
    assert Incident.from_dict(incident.to_dict()) == incident
    default = parse_declaration({**body, "holdout_percent": None}, known_segments=["fiber"])
    assert default.holdout_percent is None
    for wrong in (60, -1, "10", True):
        with pytest.raises(InputError) as caught:
            parse_declaration({**body, "holdout_percent": wrong}, known_segments=["fiber"])
        assert caught.value.details == [
            "holdout_percent: expected a percentage from 0 to 50, or null"
        ]


def test_declaration_by_labels_alone_is_allowed():
    parsed = parse_declaration({"title": "t", "labels": {"region": "x"}})
    assert parsed.segments == ()


def test_parse_update():
    assert parse_update({"eta": None}).clear_eta
    parsed = parse_update({"status": "monitoring", "note": "n", "eta": "2026-11-24T10:00:00Z"})
    assert parsed.status is Status.MONITORING
    assert parsed.note == "n"
    for body, problem in [
        ("x", "JSON object"),
        ({"status": "resolved"}, "use the resolve verb"),
        ({"status": "cancelled"}, "use the cancel verb"),
        ({"status": "weird"}, "expected pending"),
        ({"foo": 1}, "foo: unknown field"),
        ({"note": 5}, "note: expected a string"),
    ]:
        with pytest.raises(InputError) as caught:
            parse_update(body)
        assert problem in caught.value.message + " ".join(caught.value.details), body


def test_audit_entries_serialise_and_active_means_customer_facing():
    outcome = declare("INC-9", Declaration("Cut", Severity.MINOR, ("fiber",)), COMMANDER, NOW)
    assert outcome.audit.to_dict() == {
        "at": "2026-11-24T08:00:00Z",
        "actor": "ayu",
        "source": "api",
        "action": "declare",
        "changes": {"status": "investigating"},
    }
    assert outcome.incident.active
    assert not declared(confirmed=False).active
