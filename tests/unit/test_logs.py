"""Structured logs: one JSON object per line, phone numbers masked, secrets never written."""

from __future__ import annotations

import io
import json
import logging
import sys
from pathlib import PurePosixPath

import pytest

from broadcaster.logs import (
    ConsoleFormatter,
    JsonFormatter,
    Scrubber,
    mask_phone,
    register_secrets,
    request_id,
    setup_logging,
)

TOKEN = "EAAG-secret-access-token-123"


def record(message: str, *args: object, **extra: object) -> logging.LogRecord:
    rec = logging.LogRecord("broadcaster.test", logging.INFO, __file__, 1, message, args, None)
    rec.__dict__.update(extra)
    return rec


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("+6281234567890", "+62812****7890"),
        ("6281234567890", "62812****7890"),
        ("081234567890", "08123****7890"),
        ("12345678", "12345678"),  # too short to be a phone number
    ],
)
def test_mask_phone_keeps_enough_to_tell_customers_apart_and_never_the_whole_number(raw, masked):
    assert mask_phone(raw) == masked


def test_scrubber_masks_numbers_inside_text_but_not_ids_or_timestamps_with_separators():
    scrub = Scrubber()
    assert scrub("sent to +6281234567890 ok") == "sent to +62812****7890 ok"
    assert scrub('{"to": "6281234567890"}') == '{"to": "62812****7890"}'
    # dotted versions, UUID-like ids and ISO times are not phone numbers
    assert scrub("v24.0 INC-12 2025-11-24T04:36:17.123") == "v24.0 INC-12 2025-11-24T04:36:17.123"


def test_scrubber_removes_secrets_longest_first_and_ignores_trivially_short_values():
    scrub = Scrubber(["abc", "secret-one", "secret-one-longer"])
    assert scrub("a secret-one-longer b secret-one c abc") == "a *** b *** c abc"
    scrub.add([TOKEN])
    assert scrub(f"Bearer {TOKEN}") == "Bearer ***"


def test_json_lines_carry_time_level_logger_event_request_id_and_ids():
    formatter = JsonFormatter(Scrubber())
    token = request_id.set("req-1")
    try:
        line = formatter.format(
            record("broadcast planned", broadcast_id="BC-1", incident_id="INC-1", recipients=3)
        )
    finally:
        request_id.reset(token)
    entry = json.loads(line)
    assert set(entry) == {
        "time",
        "level",
        "logger",
        "event",
        "request_id",
        "broadcast_id",
        "incident_id",
        "recipients",
    }
    assert entry["time"].endswith("+00:00")
    assert (entry["level"], entry["logger"], entry["event"]) == (
        "info",
        "broadcaster.test",
        "broadcast planned",
    )
    assert (entry["request_id"], entry["broadcast_id"], entry["recipients"]) == ("req-1", "BC-1", 3)


def test_json_lines_mask_phones_and_drop_secrets_in_message_extras_and_tracebacks():
    formatter = JsonFormatter(Scrubber([TOKEN, 'quote"secret']))
    try:
        raise RuntimeError(f"POST failed for +6281234567890 with token {TOKEN}")
    except RuntimeError:
        rec = record("send to %s failed", "+6281299999999", header=f"Bearer {TOKEN}")
        rec.exc_info = sys.exc_info()
    rec.__dict__["nested"] = {"phones": ("6281277777777",), "auth": 'quote"secret', "n": 1.5}
    rec.__dict__["path"] = PurePosixPath('/tmp/quote"secret')
    line = formatter.format(rec)
    for leaked in ("6281234567890", "6281299999999", "6281277777777", TOKEN, "quote"):
        assert leaked not in line
    entry = json.loads(line)
    assert entry["event"] == "send to +62812****9999 failed"
    assert entry["header"] == "Bearer ***"
    assert "+62812****7890" in entry["exception"]
    assert entry["nested"] == {"phones": ["62812****7777"], "auth": "***", "n": 1.5}
    assert entry["path"] == "/tmp/***"


def test_console_lines_are_scrubbed_the_same_way():
    formatter = ConsoleFormatter(Scrubber([TOKEN]))
    try:
        raise RuntimeError(f"refused {TOKEN}")
    except RuntimeError:
        rec = record("sent", to="+6281234567890", auth=TOKEN)
        rec.exc_info = sys.exc_info()
    line = formatter.format(rec)
    assert "to=+62812****7890" in line
    assert "auth=***" in line
    assert "RuntimeError: refused ***" in line
    assert TOKEN not in line


def test_setup_logging_writes_json_to_the_stream_and_register_secrets_reaches_it(
    restore_logging,
):
    stream = io.StringIO()
    setup_logging("DEBUG", "json", [TOKEN], stream=stream)
    late = "simulator-token-known-later"
    register_secrets([late])
    log = logging.getLogger("broadcaster.test")
    log.debug("token %s and %s for %s", TOKEN, late, "+6281234567890")
    entry = json.loads(stream.getvalue())
    assert entry["event"] == "token *** and *** for +62812****7890"
    assert entry["level"] == "debug"
    assert logging.getLogger("arq.jobs").level == logging.WARNING
