"""The segment file syntax: every operator means what ``matches`` says; every problem named."""

from __future__ import annotations

import tomllib

import pytest

from broadcaster.domain.segment_syntax import parse_segment
from broadcaster.domain.segments import (
    EVERYONE,
    AllOf,
    AnyOf,
    Equals,
    Not,
    Prefix,
    attributes_of,
    describe,
    matches,
    parse_labels,
)
from broadcaster.errors import InputError

FULL = """
name = "jabodetabek-fiber"
description = "Fibre outside staff plans"
[match]
service = "fiber"
region = ["jkt-selatan", "jkt-timur"]
site = { prefix = ["JKT-", "BKS-"] }
plan = { not = ["staff", "test"] }
any_of = [
  { tier = { equals = "platinum" } },
  { language = { prefix = "en", not = { prefix = "en-G" } } },
]
not = { city = { in = ["depok"] } }
all_of = [{ segment = "consumer" }]
[from_labels]
region = "region"
pop = "site"
"""


def load(text: str, known: frozenset[str] | None = None):
    return parse_segment(tomllib.loads(text), "segments/x.toml", known)


def test_every_operator_parses_to_the_rule_it_names():
    segment, problems = load(FULL)
    assert problems == []
    assert segment is not None
    assert segment.name == "jabodetabek-fiber"
    assert segment.from_labels == {"pop": "site", "region": "region"}
    assert segment.rule == AllOf(
        (
            AllOf((Equals("segment", ("consumer",)),)),
            AnyOf(
                (
                    Equals("tier", ("platinum",)),
                    AllOf((Not(Prefix("language", ("en-G",))), Prefix("language", ("en",)))),
                )
            ),
            Not(Equals("city", ("depok",))),
            Not(Equals("plan", ("staff", "test"))),
            Equals("region", ("jkt-selatan", "jkt-timur")),
            Equals("service", ("fiber",)),
            Prefix("site", ("JKT-", "BKS-")),
        )
    )
    assert attributes_of(segment.rule) == {
        "segment",
        "tier",
        "language",
        "city",
        "plan",
        "region",
        "service",
        "site",
    }


@pytest.mark.parametrize(
    ("customer", "selected"),
    [
        (
            {
                "service": "fiber",
                "region": "jkt-timur",
                "site": "JKT-01",
                "tier": "platinum",
                "segment": "consumer",
            },
            True,
        ),
        (
            {
                "service": "fiber",
                "region": "jkt-timur",
                "site": "BKS-01",
                "language": "en-US",
                "segment": "consumer",
                "plan": "home",
            },
            True,
        ),
        (
            {
                "service": "fiber",
                "region": "jkt-timur",
                "site": "BKS-01",
                "language": "en-GB",
                "segment": "consumer",
            },
            False,
        ),  # any_of: neither alternative holds
        (
            {
                "service": "fiber",
                "region": "jkt-timur",
                "site": "JKT-01",
                "tier": "platinum",
                "segment": "consumer",
                "plan": "staff",
            },
            False,
        ),  # not in
        (
            {
                "service": "fiber",
                "region": "jkt-timur",
                "site": "JKT-01",
                "tier": "platinum",
                "segment": "consumer",
                "city": "depok",
            },
            False,
        ),  # not table
        (
            {
                "service": "fiber",
                "region": "bdg",
                "site": "JKT-01",
                "tier": "platinum",
                "segment": "consumer",
            },
            False,
        ),  # in
        (
            {
                "service": "fiber",
                "region": "jkt-timur",
                "site": "SBY-01",
                "tier": "platinum",
                "segment": "consumer",
            },
            False,
        ),  # prefix
    ],
)
def test_parsed_rules_select_what_the_file_says(customer, selected):
    segment, _ = load(FULL)
    assert segment is not None
    assert matches(segment.rule, customer) is selected


def test_the_contract_minimal_form_and_an_empty_match_still_work():
    segment, problems = load(
        'name = "jkt-selatan-fiber"\n[match]\nregion = ["jkt-selatan"]\nservice = "fiber"\n'
        '[from_labels]\nregion = "region"\n'
    )
    assert problems == []
    assert segment is not None
    assert segment.rule == AllOf(
        (Equals("region", ("jkt-selatan",)), Equals("service", ("fiber",)))
    )
    everyone, problems = load('name = "all"\n')
    assert problems == []
    assert everyone is not None
    assert everyone.rule == EVERYONE


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('name = "x"\n[mach]\nservice = "fiber"', "mach: unknown key (did you mean 'match'?)"),
        ('name = "x"\ndescripton = "d"', "descripton: unknown key (did you mean 'description'?)"),
        ('name = "X Y"', "name: required; lower-case letters"),
        ("description = 'no name'", "name: required"),
        ('name = "x"\ndescription = 3', "description: expected a string"),
        ('name = "x"\nmatch = "fiber"', "match: expected a table of conditions"),
        ('name = "x"\n[match]\nService = "fiber"', "match.Service: attribute names are"),
        ('name = "x"\n[match]\nphone = "+62"', "match.phone: 'phone' is not indexed"),
        ('name = "x"\n[match]\nservice = ""', "match.service: expected a non-empty string"),
        ('name = "x"\n[match]\nservice = []', "match.service: expected a non-empty string"),
        ('name = "x"\n[match]\nservice = [1]', "match.service: expected a non-empty string"),
        ('name = "x"\n[match]\nservice = {}', "match.service: expected at least one of"),
        (
            'name = "x"\n[match]\nsite = { prefx = "JKT" }',
            "match.site.prefx: unknown operator (did you mean 'prefix'?)",
        ),
        ('name = "x"\n[match]\nsite = { prefix = 5 }', "match.site.prefix: expected a non-empty"),
        ('name = "x"\n[match]\nany_of = []', "match.any_of: expected a non-empty list"),
        ('name = "x"\n[match]\nall_of = { a = "b" }', "match.all_of: expected a non-empty list"),
        ('name = "x"\n[match]\nany_of = ["fiber"]', "match.any_of[0]: expected a table"),
        ('name = "x"\n[match]\nnot = "fiber"', "match.not: expected a table of conditions"),
        ('name = "x"\nfrom_labels = "region"', "from_labels: expected a table"),
        ('name = "x"\n[from_labels]\n"a-b" = "region"', "from_labels.a-b: not a valid label"),
        ('name = "x"\n[from_labels]\nregion = 1', "from_labels.region: expected the name"),
        ('name = "x"\n[from_labels]\nregion = "Region"', "from_labels.region: attribute names"),
    ],
)
def test_each_problem_names_the_file_and_key(text, problem):
    segment, problems = load(text)
    assert segment is None
    assert any(p.startswith(f"segments/x.toml: {problem}") for p in problems), problems


def test_known_attributes_catch_a_misspelt_attribute():
    known = frozenset({"region", "service"})
    segment, problems = load('name = "x"\n[match]\nsevice = "fiber"\ntier = "gold"', known)
    assert segment is None
    assert problems == [
        "segments/x.toml: match.sevice: unknown attribute (did you mean 'service'?)"
    ]
    _, problems = load('name = "x"\n[from_labels]\nregion = "regoin"', known)
    assert problems == [
        "segments/x.toml: from_labels.region: unknown attribute (did you mean 'region'?)"
    ]
    segment, problems = load('name = "x"\n[match]\nservice = "fiber"\nlanguage = "id"', known)
    assert problems == []


def test_rules_read_as_one_line():
    segment, _ = load(FULL)
    assert segment is not None
    assert describe(segment.rule) == (
        "segment = consumer and (tier = platinum or (not language starts with en-G and "
        "language starts with en)) and not city = depok and not plan in [staff, test] and "
        "region in [jkt-selatan, jkt-timur] and service = fiber and (site starts with JKT- or "
        "site starts with BKS-)"
    )
    assert describe(EVERYONE) == "everyone"
    assert describe(Not(AnyOf((Equals("a", ("1",)), Equals("b", ("2",)))))) == (
        "not (a = 1 or b = 2)"
    )


def test_a_segment_describes_itself_for_the_api():
    segment, _ = load(
        'name = "x"\ndescription = "d"\n[match]\nservice = "fiber"\n'
        '[from_labels]\nregion = "region"'
    )
    assert segment is not None
    assert segment.to_dict() == {
        "name": "x",
        "description": "d",
        "rule": "service = fiber",
        "attributes": ["service"],
        "from_labels": {"region": "region"},
    }


def test_labels_come_as_key_value_pairs():
    assert parse_labels(["region=bdg", "note=a=b"]) == {"region": "bdg", "note": "a=b"}
    assert parse_labels(None) == {}
    for bad in ("region", "=bdg"):
        with pytest.raises(InputError, match="label: expected key=value"):
            parse_labels([bad])
