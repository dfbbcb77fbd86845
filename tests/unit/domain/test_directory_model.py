"""Customers' index entries, attribute names and the holdout slice."""

from __future__ import annotations

from broadcaster.domain.customers import (
    Customer,
    IndexPolicy,
    attribute_name_problem,
    calling_code,
)
from broadcaster.domain.holdout import holdout_seed, in_holdout, split_holdout


def test_index_entries_follow_the_policy_and_always_include_tier_language_and_country():
    customer = Customer(
        "C1",
        "+6281234567890",
        True,
        language="id",
        tier="gold",
        attributes={"region": "bdg", "account": "A-991", "site": ""},
    )
    assert customer.index_entries() == [
        ("account", "A-991"),
        ("region", "bdg"),
        ("tier", "gold"),
        ("language", "id"),
        ("cc", "62"),
    ]
    assert customer.index_entries(IndexPolicy(frozenset({"region"}))) == [
        ("region", "bdg"),
        ("tier", "gold"),
        ("language", "id"),
        ("cc", "62"),
    ]
    assert IndexPolicy().indexes("anything")
    assert not IndexPolicy(frozenset({"region"})).indexes("account")


def test_attribute_names_are_lower_case_words_and_not_reserved():
    assert attribute_name_problem("region_2") is None
    assert attribute_name_problem("Region") is not None
    assert attribute_name_problem("2region") is not None
    assert attribute_name_problem("x" * 65) is not None
    for reserved in ("phone", "tier", "any_of", "not", "cc"):
        assert attribute_name_problem(reserved) == f"{reserved!r} is reserved"


def test_holdout_is_stable_per_customer_and_incident():
    seed = holdout_seed("INC-7")
    assert seed == holdout_seed("INC-7") != holdout_seed("INC-8")
    send, held = split_holdout(range(1, 20_001), seed, 50_000)
    assert 800 < len(held) < 1_200
    assert sorted(send + held) == list(range(1, 20_001))
    assert all(in_holdout(o, seed, 50_000) for o in held)
    assert split_holdout([3, 1, 2], seed, 0) == ([3, 1, 2], [])


def test_calling_code_of_e164_numbers():
    assert calling_code("+6281234567890") == "62"
    assert calling_code("+14155550123") == "1"
    assert calling_code("+2348012345678") == "234"
    assert calling_code("+999") == ""
