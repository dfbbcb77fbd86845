"""Phone numbers to E.164: every layout a CRM export uses, and the fast path never disagrees."""

from __future__ import annotations

import random

import phonenumbers
import pytest
from hypothesis import given
from hypothesis import strategies as st
from phonenumbers import PhoneNumberType

from broadcaster.domain.phones import known_region, to_e164


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        ("081234567890", "ID", "+6281234567890"),  # national, default region
        ("0812 3456 7890", "ID", "+6281234567890"),
        ("(0812) 3456-7890", "ID", "+6281234567890"),
        ("+62 812-3456-7890", "ID", "+6281234567890"),
        ("6281234567890", "ID", "+6281234567890"),  # E.164 without "+" (CONTRACT.md)
        ("6281234567890", "GB", "+6281234567890"),
        ("07911 123456", "GB", "+447911123456"),
        ("447911123456", "ID", "+447911123456"),
        ("+1 (650) 253-0000", "ID", "+16502530000"),
        ("+39 06 6982 1234", "ID", "+390669821234"),  # Italy keeps its leading zero
        ("+62 0812 3456 7890", "ID", "+6281234567890"),  # trunk 0 after the country code
        ("812345678", "ID", "+62812345678"),  # national without the trunk prefix
        (
            "\u0660\u0668\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669\u0660",
            "ID",
            "+6281234567890",
        ),  # Arabic-Indic digits go through the library
    ],
)
def test_numbers_in_any_layout_become_e164(raw, region, expected):
    assert to_e164(raw, region) == expected


@pytest.mark.parametrize(
    ("raw", "region"),
    [
        ("", "ID"),
        ("+", "ID"),
        ("0", "ID"),
        ("abc", "ID"),
        ("12", "ID"),
        ("+999123456789", "ID"),  # no such country code
        ("+0812", "ID"),
        ("0812 3456 7890", "GB"),  # a national number of another region is not guessed
        ("+62 1", "ID"),
        ("081234567890", "XX"),  # unknown region: nothing to read a national number with
    ],
)
def test_invalid_numbers_are_refused(raw, region):
    assert to_e164(raw, region) is None


def test_regions_are_iso_codes_the_library_knows():
    assert known_region("ID")
    assert not known_region("XX")


def _library(raw: str, region: str) -> str | None:
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@given(
    digits=st.text(alphabet="0123456789", min_size=4, max_size=15),
    plus=st.booleans(),
    region=st.sampled_from(["ID", "GB", "US", "DE", "IN", "BR", "IT"]),
)
def test_fast_path_agrees_with_the_full_parse(digits, plus, region):
    raw = ("+" if plus else "") + digits
    got = to_e164(raw, region)
    if plus or digits.startswith("0"):
        assert got == _library(raw, region)
    else:  # digits without "+" are read as E.164 first, then as a national number
        assert got == (_library("+" + digits, region) or _library(raw, region))


REGIONS = [
    "ID",
    "MY",
    "SG",
    "PH",
    "TH",
    "VN",
    "IN",
    "NG",
    "KE",
    "ZA",
    "BR",
    "MX",
    "DE",
    "FR",
    "AU",
    "JP",
    "US",
    "GB",
    "IT",
]
TYPES = ["MOBILE", "FIXED_LINE", "TOLL_FREE", "PREMIUM_RATE", "VOIP", "UAN", "SHARED_COST"]


@pytest.mark.parametrize("region", REGIONS)
def test_validity_matches_the_library_around_real_numbers(region):
    """Example numbers of every type, with digits changed, added and removed: the fast path's
    validity is the library's, number by number."""
    rng = random.Random(region)
    for type_name in TYPES:
        example = phonenumbers.example_number_for_type(region, getattr(PhoneNumberType, type_name))
        if example is None:
            continue
        digits = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)[1:]
        for _ in range(200):
            mutated = list(digits)
            position = rng.randrange(1, len(mutated))
            change = rng.choice(("replace", "insert", "delete"))
            if change == "replace":
                mutated[position] = rng.choice("0123456789")
            elif change == "insert":
                mutated.insert(position, rng.choice("0123456789"))
            else:
                del mutated[position]
            raw = "+" + "".join(mutated)
            assert to_e164(raw, region) == _library(raw, region), raw
