"""Rows of a customer file: lenient where the meaning is clear, every problem named."""

from __future__ import annotations

import pytest

from broadcaster.domain.customer_rows import (
    CustomerParser,
    RawCustomer,
    RowRules,
    canonical_language,
    from_json,
)
from broadcaster.domain.customers import Customer

LANGUAGES = frozenset({"id", "en", "jv", "he", "sr"})
RULES = RowRules(
    phone_region="ID",
    tiers=("platinum", "gold", "silver", "standard"),
    default_tier="standard",
    default_language="id",
    default_timezone="Asia/Jakarta",
    languages=LANGUAGES,
    timezones={"asia/jakarta": "Asia/Jakarta", "asia/makassar": "Asia/Makassar"},
)


def parse(attributes: dict[str, str] | None = None, **fields: str) -> Customer | list[str]:
    row = {"customer_id": "C1", "phone": "081234567890", "opt_in": "true", **fields}
    return CustomerParser(RULES).parse(RawCustomer(row, attributes or {}))


def test_a_minimal_row_gets_the_configured_defaults():
    assert parse() == Customer(
        "C1", "+6281234567890", True, "", "id", "Asia/Jakarta", "standard", {}
    )


def test_clear_spellings_are_normalised():
    customer = parse(
        {"region": " jkt-selatan ", "site": ""},
        customer_id=" C1 ",
        opt_in="Yes",
        name="  Siti   Rahma ",
        language="EN_us",
        timezone="asia/makassar",
        tier="Gold",
    )
    assert customer == Customer(
        "C1",
        "+6281234567890",
        True,
        "Siti Rahma",
        "en-US",
        "Asia/Makassar",
        "gold",
        {"region": "jkt-selatan"},
    )
    for text, value in [("FALSE", False), ("n", False), ("0", False), ("1", True), ("y", True)]:
        got = parse(opt_in=text)
        assert isinstance(got, Customer)
        assert got.opt_in is value


@pytest.mark.parametrize(
    ("fields", "attributes", "problem"),
    [
        ({"customer_id": ""}, {}, "customer_id: required"),
        ({"customer_id": "C" * 129}, {}, "customer_id: longer than 128 characters"),
        ({"phone": ""}, {}, "phone: required"),
        ({"phone": "12345"}, {}, "phone: '12345' is not a valid number"),
        ({"opt_in": "maybe"}, {}, "opt_in: expected true or false, got 'maybe'"),
        ({"opt_in": ""}, {}, "opt_in: expected true or false"),
        ({"name": "x" * 257}, {}, "name: longer than 256 characters"),
        ({"language": "english"}, {}, "language: 'english' is not a BCP 47 tag"),
        ({"language": "xx"}, {}, "language: 'xx' is not a BCP 47 tag of a known language"),
        ({"timezone": "Asia/Jakarta/Selatan"}, {}, "timezone: 'Asia/Jakarta/Selatan' is not"),
        ({"tier": "diamond"}, {}, "tier: 'diamond' is not a configured tier"),
        ({"name": "Siti\x07"}, {}, "customer_id/name: control characters"),
        ({}, {"Region": "x"}, "attributes.Region: attribute names are"),
        ({}, {"tier": "x"}, "attributes.tier: 'tier' is reserved"),
        ({}, {"region": "x" * 257}, "region: longer than 256 characters"),
        ({}, {"region": "a\x1fb"}, "region: control characters are not allowed"),
    ],
)
def test_each_bad_field_is_named(fields, attributes, problem):
    problems = parse(attributes, **fields)
    assert isinstance(problems, list)
    assert any(p.startswith(problem) for p in problems), problems


def test_every_problem_of_a_row_is_reported_at_once():
    problems = parse(phone="nope", opt_in="?", tier="x", timezone="Mars/Base")
    assert isinstance(problems, list)
    assert [p.split(":")[0] for p in problems] == ["phone", "opt_in", "timezone", "tier"]


def test_languages_are_canonical_bcp47_tags_of_known_languages():
    assert canonical_language("id", LANGUAGES) == "id"
    assert canonical_language("in", LANGUAGES) == "id"  # withdrawn ISO 639 code
    assert canonical_language("iw-il", LANGUAGES) == "he-IL"
    assert canonical_language("sr-latn-rs", LANGUAGES) == "sr-Latn-RS"
    assert canonical_language("en-419", LANGUAGES) == "en-419"
    assert canonical_language("en-GB-oxendict", LANGUAGES) == "en-GB-oxendict"
    assert canonical_language("en-US-u-ca-GREGORY", LANGUAGES) == "en-US-u-ca-gregory"
    assert canonical_language("en-x-Private", LANGUAGES) == "en-x-private"
    assert canonical_language("en-", LANGUAGES) is None
    assert canonical_language("fr", LANGUAGES) is None


def test_json_records_take_core_keys_at_the_top_and_attributes_below():
    raw = from_json(
        {
            "customer_id": 42,
            "phone": "+6281234567890",
            "opt_in": True,
            "name": None,
            "tier": "gold",
            "attributes": {"region": "bdg", "floors": 2.5, "vip": False},
        }
    )
    assert raw.problems == ()
    assert raw.customer_id == "42"
    assert raw.fields == {
        "customer_id": "42",
        "phone": "+6281234567890",
        "opt_in": "true",
        "tier": "gold",
    }
    assert raw.attributes == {"region": "bdg", "floors": "2.5", "vip": "false"}
    customer = CustomerParser(RULES).parse(raw)
    assert isinstance(customer, Customer)
    assert customer.attributes["floors"] == "2.5"


def test_bad_json_records_name_the_key():
    assert from_json(["C1"]).problems == ("expected a JSON object",)
    raw = from_json(
        {
            "customer_id": "C1",
            "phone": {"number": "1"},
            "regoin": "bdg",
            "attributes": ["bdg"],
        }
    )
    assert raw.problems == (
        "phone: expected a string, number or boolean",
        'regoin: unknown key; other attributes go under "attributes"',
        'attributes: expected an object of "name": "value"',
    )
    assert from_json({"customer_di": "C1"}).problems == (
        "customer_di: unknown key (did you mean 'customer_id'?); "
        'other attributes go under "attributes"',
    )
    assert from_json({"attributes": {"site": [1]}}).problems == (
        "attributes.site: expected a string, number or boolean",
    )
    assert CustomerParser(RULES).parse(raw) == list(raw.problems)


def test_one_parser_reads_many_rows_with_the_same_columns():
    parser = CustomerParser(RULES)
    rows = [
        RawCustomer(
            {"customer_id": f"C{i}", "phone": f"0812345678{i:02d}", "opt_in": "1"},
            {"region": f"r{i}"},
        )
        for i in range(3)
    ]
    customers = [parser.parse(row) for row in rows]
    assert [c.attributes for c in customers if isinstance(c, Customer)] == [
        {"region": "r0"},
        {"region": "r1"},
        {"region": "r2"},
    ]


def test_attribute_problems_are_found_after_the_columns_are_known():
    parser = CustomerParser(RULES)
    row = {"customer_id": "C1", "phone": "081234567801", "opt_in": "1"}
    assert isinstance(parser.parse(RawCustomer(row, {"region": "bdg", "site": "x"})), Customer)
    assert parser.parse(RawCustomer(row, {"region": "b" * 300, "site": "x"})) == [
        "region: longer than 256 characters"
    ]
    assert parser.parse(RawCustomer(row, {"region": "a\tb", "site": "x"})) == [
        "region: control characters are not allowed"
    ]
