"""Senders, signatures, segments, customers, time formats."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest

from broadcaster.domain.customers import Customer, with_defaults
from broadcaster.domain.segments import AllOf, AnyOf, Equals, Not, Prefix, Segment, matches, union
from broadcaster.domain.senders import choose_sender
from broadcaster.domain.signatures import meta_signature, meta_signature_valid
from broadcaster.domain.timefmt import format_rfc3339, parse_rfc3339


def test_a_customer_always_gets_the_same_sender_and_few_move_when_one_is_added():
    numbers = ["111", "222", "333"]
    before = {f"C{i}": choose_sender(f"C{i}", numbers) for i in range(3000)}
    assert before == {c: choose_sender(c, numbers) for c in before}
    spread = Counter(before.values())
    assert min(spread.values()) > 800
    after = {c: choose_sender(c, [*numbers, "444"]) for c in before}
    moved = [c for c in before if before[c] != after[c]]
    assert all(after[c] == "444" for c in moved), "only moves to the new number"
    assert len(moved) < 1000
    assert choose_sender("C1", ["only"]) == "only"


def test_meta_signature_matches_the_documented_scheme():
    body = b'{"object":"whatsapp_business_account"}'
    header = meta_signature("secret", body)
    assert header.startswith("sha256=")
    assert meta_signature_valid("secret", body, header)
    assert not meta_signature_valid("other", body, header)
    assert not meta_signature_valid("secret", body + b" ", header)


def test_segment_rules_and_label_scoping():
    rule = AllOf((Equals("service", ("fiber",)), Not(Prefix("region", ("jkt",)))))
    assert matches(rule, {"service": "fiber", "region": "bdg"})
    assert not matches(rule, {"service": "fiber", "region": "jkt-selatan"})
    assert not matches(Prefix("site", ("A",)), {})
    assert matches(AnyOf((Equals("a", ("1",)), Equals("b", ("2",)))), {"b": "2"})
    segment = Segment("fiber", rule=Equals("service", ("fiber",)), from_labels={"region": "region"})
    scoped = segment.selection({"region": "bdg", "other": "x"})
    assert matches(scoped, {"service": "fiber", "region": "bdg"})
    assert not matches(scoped, {"service": "fiber", "region": "sby"})
    assert segment.selection({}) == segment.rule
    assert union([segment.rule]) == segment.rule
    assert isinstance(union([segment.rule, scoped]), AnyOf)


def test_customer_identity_hash_and_defaults():
    customer = Customer(
        "C1", "+6281234567890", True, name="Siti", attributes={"region": "x", "empty": ""}
    )
    assert customer.wa_id == "6281234567890"
    assert (
        customer.content_hash()
        == Customer(
            "C1", "+6281234567890", True, name="Siti", attributes={"empty": "", "region": "x"}
        ).content_hash()
    )
    assert (
        customer.content_hash()
        != Customer("C1", "+6281234567890", False, name="Siti").content_hash()
    )
    filled = with_defaults(customer, "id", "Asia/Jakarta", "standard")
    assert (filled.language, filled.timezone, filled.tier) == ("id", "Asia/Jakarta", "standard")
    assert ("region", "x") in filled.index_entries()
    assert ("empty", "") not in filled.index_entries()
    assert ("tier", "standard") in filled.index_entries()


def test_rfc3339_parsing_requires_an_offset_and_formats_in_utc():
    assert parse_rfc3339("2026-11-24T10:00:00+07:00") == datetime(2026, 11, 24, 3, tzinfo=UTC)
    assert parse_rfc3339("2026-11-24T03:33:37.482123456Z") == datetime(
        2026, 11, 24, 3, 33, 37, 482123, tzinfo=UTC
    )
    assert parse_rfc3339(None) is None
    for bad in ["2026-11-24", "2026-11-24T10:00:00", "soon"]:
        with pytest.raises(ValueError, match=r"RFC 3339|offset|Invalid isoformat"):
            parse_rfc3339(bad)
    assert format_rfc3339(datetime(2026, 11, 24, 3, tzinfo=UTC)) == "2026-11-24T03:00:00Z"
    assert (
        format_rfc3339(datetime(2026, 11, 24, 3, 0, 0, 5, tzinfo=UTC))
        == "2026-11-24T03:00:00.000005Z"
    )
    assert format_rfc3339(None) is None
