"""Commander request bodies: every problem listed at once, unknown fields refused."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from broadcaster.domain.incident_requests import parse_declaration, parse_update
from broadcaster.domain.incidents import Severity, Status
from broadcaster.errors import InputError

SEGMENTS = ["fiber", "mobile-data"]


def problems(parse, body, **kwargs) -> list[str]:
    with pytest.raises(InputError) as caught:
        parse(body, **kwargs)
    return caught.value.details


def test_a_full_declaration_is_read():
    declaration = parse_declaration(
        {
            "title": "  Fibre cut ",
            "segments": ["fiber", "fiber", "mobile-data"],
            "severity": "critical",
            "eta": "2026-11-24T10:00:00+07:00",
            "summary": "cut near Blok M",
            "labels": {"region": "jkt-selatan"},
        },
        known_segments=SEGMENTS,
    )
    assert declaration.title == "Fibre cut"
    assert declaration.segments == ("fiber", "mobile-data")
    assert declaration.severity is Severity.CRITICAL
    assert declaration.eta == datetime(2026, 11, 24, 3, tzinfo=UTC)
    assert declaration.labels == {"region": "jkt-selatan"}
    assert declaration.confirmed


def test_labels_alone_may_scope_a_declaration_and_severity_defaults_to_major():
    declaration = parse_declaration({"title": "x", "labels": {"service": "fiber"}})
    assert declaration.segments == ()
    assert declaration.severity is Severity.MAJOR


def test_every_problem_of_a_declaration_is_listed():
    found = problems(
        parse_declaration,
        {
            "title": "",
            "severity": "huge",
            "segments": ["nope"],
            "eta": "tomorrow",
            "summary": 5,
            "labels": {"a": 1},
            "extra": True,
        },
        known_segments=SEGMENTS,
    )
    assert found == [
        "title: required, a non-empty string",
        "severity: expected minor|major|critical, got 'huge'",
        "segments: unknown segment 'nope'",
        "eta: expected an RFC 3339 time with offset, got 'tomorrow'",
        "summary: expected a string",
        "labels: expected an object of string values",
        "extra: unknown field",
    ]


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ({"title": "x" * 201, "segments": ["fiber"]}, "title: at most 200 characters"),
        ({"title": "x"}, "segments: required (or labels that segments map from)"),
        ({"title": "x", "segments": []}, "segments: name at least one segment"),
        ({"title": "x", "segments": "fiber"}, "segments: expected a list of non-empty strings"),
        ({"title": "x", "segments": ["fiber"], "eta": 5}, "eta: expected an RFC 3339"),
        (
            {"title": "x", "segments": ["fiber"], "eta": "2026-11-24T10:00:00"},
            "eta: expected an RFC 3339 time with offset",
        ),
        ({"title": "x", "segments": ["a"], "summary": "s" * 1001}, "summary: at most 1000"),
    ],
)
def test_declaration_problems(body, problem):
    assert any(p.startswith(problem) for p in problems(parse_declaration, body))


def test_a_body_that_is_not_an_object_is_refused():
    with pytest.raises(InputError, match="JSON object"):
        parse_declaration([])
    with pytest.raises(InputError, match="JSON object"):
        parse_update("x")


def test_an_update_reads_eta_status_note_and_segments():
    update = parse_update(
        {
            "eta": "2026-11-24T05:00:00Z",
            "status": "identified",
            "note": "crew on site",
            "segments": ["fiber"],
        },
        known_segments=SEGMENTS,
    )
    assert update.status is Status.IDENTIFIED
    assert update.note == "crew on site"
    assert update.segments == ("fiber",)
    assert not update.clear_eta


def test_a_null_eta_clears_it_and_absent_segments_stay_unchanged():
    update = parse_update({"eta": None})
    assert update.clear_eta
    assert update.eta is None
    assert update.segments is None


def test_update_problems_are_listed_and_terminal_statuses_point_to_their_verb():
    assert problems(parse_update, {"status": "resolved"}) == ["status: use the resolve verb"]
    assert problems(parse_update, {"status": "cancelled"}) == ["status: use the cancel verb"]
    assert problems(
        parse_update, {"status": "done", "segments": ["x"], "x": 1}, known_segments=SEGMENTS
    ) == [
        "status: expected pending|investigating|identified|monitoring|resolved|cancelled, "
        "got 'done'",
        "segments: unknown segment 'x'",
        "x: unknown field",
    ]
    assert problems(parse_update, {"note": 5}) == ["note: expected a string"]


def test_a_declaration_may_set_its_own_holdout_share():
    body = {"title": "t", "segments": ["fiber"], "holdout_percent": 10}
    assert parse_declaration(body, known_segments=SEGMENTS).holdout_percent == 10.0
    default = parse_declaration({**body, "holdout_percent": None}, known_segments=SEGMENTS)
    assert default.holdout_percent is None
    for wrong in (60, -1, "10", True):
        assert problems(parse_declaration, {**body, "holdout_percent": wrong}) == [
            "holdout_percent: expected a percentage from 0 to 50, or null"
        ]
