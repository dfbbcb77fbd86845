"""Phone numbers to E.164, with Google's libphonenumber metadata (the ``phonenumbers`` port).

A CRM export mixes ``+62 812-3456-7890``, ``6281234567890`` (E.164 without ``+``) and
``0812 3456 7890`` (national format, read in the configured default region). ``to_e164``
accepts all three and returns ``None`` for anything the library does not call a valid number.

An import parses a million numbers, and ``phonenumbers.parse`` costs ~35 µs each here, so
plain digit strings take a fast path: it splits the country code (or strips the region's
national prefix) itself and asks the library only whether the number is valid (~10 µs). The
fast path never rejects and never disagrees: when it is not certain to produce what the full
parse would, it defers to the full parse.
"""

from __future__ import annotations

from functools import cache

import phonenumbers
from phonenumbers import COUNTRY_CODE_TO_REGION_CODE, NumberParseException, PhoneNumber
from phonenumbers.phonemetadata import PhoneMetadata

# separators people type inside numbers; removed before the fast path looks at the digits
_SEPARATORS = str.maketrans("", "", " -.()/\u00a0\t")


def to_e164(raw: str, region: str) -> str | None:
    """``+<country><number>`` for a valid number, else ``None``; ``region``: ISO 3166 alpha-2."""
    text = raw.strip().translate(_SEPARATORS)
    digits = text[1:] if text.startswith("+") else text
    if text.isascii() and digits.isdigit():
        fast = _fast(text, region)
        if fast is not None:
            return fast
    return _full(raw, text, region)


def known_region(region: str) -> bool:
    return region in phonenumbers.SUPPORTED_REGIONS


def _fast(text: str, region: str) -> str | None:
    if text.startswith("+"):
        return _international(text[1:])
    prefix, country = _national_prefix(region)
    if prefix and text.startswith(prefix):
        return _valid(country, text[len(prefix) :])
    return _international(text)


def _international(digits: str) -> str | None:
    if digits[0] == "0":
        return None  # no country code starts with 0: a national number of another region
    # ITU country codes form a prefix code: at most one of the 1-3 digit prefixes is assigned
    for length in (1, 2, 3):
        country = int(digits[:length])
        if country in COUNTRY_CODE_TO_REGION_CODE:
            return _valid(country, digits[length:])
    return None


def _valid(country: int, national: str) -> str | None:
    # a leading zero (Italy) or an empty rest: let the full parse decide
    if not national or national[0] == "0":
        return None
    number = PhoneNumber(country_code=country, national_number=int(national))
    return f"+{country}{national}" if phonenumbers.is_valid_number(number) else None


@cache
def _national_prefix(region: str) -> tuple[str, int]:
    """The region's trunk prefix ("0") and country code; "" when the prefix is not a plain
    digit string (a pattern, a transform rule): those numbers take the full parse."""
    metadata = PhoneMetadata.metadata_for_region(region)
    if metadata is None:
        return "", 0
    prefix = metadata.national_prefix or ""
    simple = (
        prefix.isdigit()
        and metadata.national_prefix_for_parsing == prefix
        and metadata.national_prefix_transform_rule is None
    )
    return (prefix if simple else ""), int(metadata.country_code or 0)


def _full(raw: str, text: str, region: str) -> str | None:
    # digits without "+" are E.164 first (CONTRACT.md), national numbers second
    candidates = [f"+{text}", raw] if text.isdigit() and not text.startswith("0") else [raw]
    for candidate in candidates:
        try:
            number = phonenumbers.parse(candidate, region)
        except NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return None
