"""Inbound intents (opt-out words, follow-up payloads) and contact events from other channels."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from broadcaster.config import InboundSettings
from broadcaster.domain.contacts import (
    ContactEvent,
    LoggedContact,
    e164,
    log_line,
    parse_contacts,
    read_log,
)
from broadcaster.domain.inbound import (
    FollowUpAnswer,
    Intent,
    classify,
    contact_time_ms,
    keywords,
    normalise,
    parse_follow_up,
    phone_of,
    type_label,
)
from broadcaster.errors import InputError

OUT = keywords(InboundSettings().opt_out_keywords)
IN = keywords(InboundSettings().opt_in_keywords)
NOW = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
CHANNELS = ("voice", "email", "helpdesk")


@pytest.mark.parametrize(
    ("kind", "text", "payload", "intent"),
    [
        ("text", "STOP", "", Intent.OPT_OUT),
        ("text", " berhenti  berlangganan! ", "", Intent.OPT_OUT),
        ("text", "Unsubscribe.", "", Intent.OPT_OUT),
        ("button", "Stop promotions", "STOP", Intent.OPT_OUT),
        ("text", "mulai", "", Intent.OPT_IN),
        ("interactive", "Working now", "FU:INC-7:ok", Intent.FOLLOW_UP),
        ("button", "Still broken", "FU:INC-7:down", Intent.FOLLOW_UP),
        ("text", "Internet mati lagi? stop dong", "", Intent.CONTACT),
        ("image", "", "", Intent.CONTACT),
        ("reaction", "", "", Intent.IGNORED),
        ("system", "", "", Intent.IGNORED),
    ],
)
def test_messages_are_classified_by_whole_keyword_payload_or_type(kind, text, payload, intent):
    assert classify(kind, text, payload, OUT, IN) is intent


def test_keywords_and_follow_up_payloads():
    assert normalise("  Stop!!  all ") == "STOP ALL"
    assert keywords({"en": ["Stop", "..."]}) == frozenset({"STOP"})
    assert parse_follow_up("FU:INC-12:down") == FollowUpAnswer("INC-12", "down")
    assert parse_follow_up("FU:INC-12:maybe") is None
    assert parse_follow_up("FU::ok") is None
    assert parse_follow_up("STOP") is None


def test_message_types_phones_and_contact_times():
    assert [type_label(t) for t in ("text", "button", "audio")] == ["text", "button", "other"]
    assert phone_of("6281234567890") == "+6281234567890"
    assert phone_of("+6281234567890") == "+6281234567890"
    assert phone_of("62-812") is None
    received = 1_764_000_000_400
    assert contact_time_ms(1_764_000_000, received) == received, "our clock is finer"
    assert contact_time_ms(1_764_000_000, received + 3_600_000) == 1_764_000_000_000, "a retry"
    assert contact_time_ms(1_764_000_001, received) == 1_764_000_001_000, "clocks disagree"
    assert contact_time_ms(0, received) == received


def test_log_lines_round_trip_and_torn_lines_are_skipped():
    data = log_line(7, 1_764_000_000_000, "voice", "billing") + b"8,1,chat,\n" + b"9,12"
    assert list(read_log(data)) == [
        LoggedContact(7, 1_764_000_000_000, "voice", "billing"),
        LoggedContact(8, 1, "chat", ""),
    ]


def test_national_and_international_numbers_become_e164():
    assert e164("0812-3456-7890", "ID") == "+6281234567890"
    assert e164("+1 650 555 1234", "ID") == "+16505551234"
    assert e164("not a number", "ID") is None


def test_a_valid_batch_becomes_contact_events():
    body = {
        "contacts": [
            {"channel": "voice", "customer_id": "C1", "time": "2026-11-24T07:55:00+07:00"},
            {
                "channel": "helpdesk",
                "phone": "0812-3456-7890",
                "time": "2026-11-24T07:59:59Z",
                "topic": "outage",
                "id": "ticket-991",
            },
        ]
    }
    events = parse_contacts(body, CHANNELS, NOW, timedelta(days=35))
    assert events == [
        ContactEvent("voice", datetime(2026, 11, 24, 0, 55, tzinfo=UTC), customer_id="C1"),
        ContactEvent(
            "helpdesk",
            datetime(2026, 11, 24, 7, 59, 59, tzinfo=UTC),
            phone="0812-3456-7890",
            topic="outage",
            external_id="ticket-991",
        ),
    ]


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ([], '{"contacts": [...]}'),
        ({"contacts": []}, "1 to 1000"),
        ({"contacts": [{}] * 1001}, "1 to 1000"),
        ({"contacts": ["x"]}, "contacts[0]: expected an object"),
        ({"contacts": [{"channel": "fax"}]}, "contacts[0].channel"),
        ({"contacts": [{"channel": "whatsapp"}]}, "contacts[0].channel"),
        ({"contacts": [{"customer_id": "C1", "phone": "1"}]}, "exactly one of customer_id"),
        ({"contacts": [{"customer_id": " "}]}, "exactly one of customer_id"),
        ({"contacts": [{"time": "yesterday"}]}, "contacts[0].time: required"),
        ({"contacts": [{"time": "2026-11-24T07:00:00"}]}, "contacts[0].time: required"),
        ({"contacts": [{"time": "2026-11-24T09:00:00Z"}]}, "contacts[0].time: in the future"),
        ({"contacts": [{"time": "2026-09-01T09:00:00Z"}]}, "older than the contact retention"),
        ({"contacts": [{"topic": "Billing, urgent"}]}, "contacts[0].topic"),
        ({"contacts": [{"id": "has space"}]}, "contacts[0].id"),
        ({"contacts": [{"priority": "high"}]}, "contacts[0].priority: unknown field"),
    ],
)
def test_every_problem_of_a_batch_is_named_and_nothing_is_accepted(body, problem):
    with pytest.raises(InputError) as caught:
        parse_contacts(body, CHANNELS, NOW, timedelta(days=35))
    error = caught.value
    assert any(problem in line for line in [error.message, *error.details]), error.details


def test_one_bad_contact_rejects_the_batch():
    good = {"channel": "voice", "customer_id": "C1", "time": "2026-11-24T07:00:00Z"}
    with pytest.raises(InputError) as caught:
        parse_contacts(
            {"contacts": [good, {**good, "channel": "pigeon"}]}, CHANNELS, NOW, timedelta(days=1)
        )
    assert caught.value.details == ["contacts[1].channel: expected one of email, helpdesk, voice"]


def test_satisfaction_answers_are_single_digits_one_to_five():
    from broadcaster.domain.inbound import satisfaction_score

    assert satisfaction_score(" 5. ") == 5
    assert satisfaction_score("1") == 1
    assert satisfaction_score("6") is None
    assert satisfaction_score("lima") is None
