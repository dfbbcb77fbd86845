"""Validate one row of a customer file (or one API item) into a ``Customer``.

CRM exports are never clean, so reading is lenient where the meaning is unambiguous
(``Yes``/``1`` for ``opt_in``, ``EN_us`` for ``en-US``, ``Gold`` for ``gold``, any phone
layout the phone library reads) and strict where it is not: a row with any problem is
rejected whole, with every problem named, and never half-imported.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import NamedTuple

from broadcaster.domain.customers import CORE_FIELDS, Customer, attribute_name_problem
from broadcaster.domain.phones import to_e164

MAX_ID = 128
MAX_TEXT = 256
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_BOOLEANS = {
    "true": True,
    "false": False,
    "yes": True,
    "no": False,
    "y": True,
    "n": False,
    "1": True,
    "0": False,
}
# BCP 47 (RFC 5646) language tags, minus grandfathered tags and extlangs, "_" read as "-"
_TAG = re.compile(
    r"^([a-z]{2,3})(?:-([a-z]{4}))?(?:-([a-z]{2}|\d{3}))?"
    r"((?:-(?:[a-z\d]{5,8}|\d[a-z\d]{3}))*)"
    r"((?:-[a-wyz\d](?:-[a-z\d]{2,8})+)*(?:-x(?:-[a-z\d]{1,8})+)?)$",
    re.IGNORECASE,
)
# ISO 639 codes withdrawn in favour of others; CRM systems still write them
_DEPRECATED = {"in": "id", "iw": "he", "ji": "yi", "jw": "jv", "mo": "ro"}


@dataclass(frozen=True)
class RowRules:
    """What a valid row looks like here: configuration plus the known languages and zones."""

    phone_region: str
    tiers: tuple[str, ...]
    default_tier: str
    default_language: str
    default_timezone: str
    languages: frozenset[str]  # ISO 639 primary language subtags
    timezones: Mapping[str, str]  # lower-cased IANA name -> IANA name


def canonical_language(raw: str, languages: frozenset[str]) -> str | None:
    """``EN_us`` -> ``en-US``; ``None`` unless well-formed with a known primary language."""
    match = _TAG.match(raw.replace("_", "-"))
    if match is None:
        return None
    language = match[1].lower()
    language = _DEPRECATED.get(language, language)
    if language not in languages:
        return None
    parts = [language]
    if match[2]:
        parts.append(match[2].title())
    if match[3]:
        parts.append(match[3].upper())
    tail = (match[4] + match[5]).lower()
    return "-".join(parts) + tail


class RawCustomer(NamedTuple):
    """One row as read: core fields and attributes as text, or why it could not be read.
    (A named tuple: a million are made per import, at half the cost of a frozen dataclass.)"""

    fields: Mapping[str, str]
    attributes: Mapping[str, str]
    problems: tuple[str, ...] = ()

    @property
    def customer_id(self) -> str:
        return self.fields.get("customer_id", "").strip()


def from_json(item: object) -> RawCustomer:
    """A JSON Lines record or API item: core keys at the top, others under ``attributes``."""
    if not isinstance(item, dict):
        return RawCustomer({}, {}, ("expected a JSON object",))
    fields: dict[str, str] = {}
    attributes: dict[str, str] = {}
    problems: list[str] = []
    for key, value in item.items():
        if key in CORE_FIELDS:
            _put(fields, key, key, value, problems)
        elif key == "attributes" and isinstance(value, dict):
            for name, text in value.items():
                _put(attributes, name, f"attributes.{name}", text, problems)
        elif key == "attributes":
            problems.append('attributes: expected an object of "name": "value"')
        else:
            hint = did_you_mean(key, CORE_FIELDS)
            problems.append(f'{key}: unknown key{hint}; other attributes go under "attributes"')
    return RawCustomer(fields, attributes, tuple(problems))


def _put(out: dict[str, str], name: str, path: str, value: object, problems: list[str]) -> None:
    if isinstance(value, bool):
        out[name] = "true" if value else "false"
    elif isinstance(value, str | int | float):
        out[name] = str(value)
    elif value is not None:
        problems.append(f"{path}: expected a string, number or boolean")


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, sorted(choices), n=1, cutoff=0.7)
    return f" (did you mean {close[0]!r}?)" if close else ""


class CustomerParser:
    """Turns raw strings into a ``Customer`` or the list of its problems (``"field: why"``).

    Remembers the few distinct languages, zones and tiers it has seen, so a million rows cost
    one regular-expression match per distinct value, not per row.
    """

    def __init__(self, rules: RowRules) -> None:
        self._rules = rules
        self._languages: dict[str, str | None] = {"": rules.default_language}
        self._zones: dict[str, str | None] = {"": rules.default_timezone}
        self._tiers: dict[str, str | None] = {"": rules.default_tier}
        self._tiers.update({t.lower(): t for t in rules.tiers})
        self._names: set[str] = set()

    def parse(self, raw: RawCustomer) -> Customer | list[str]:
        """``raw.fields``: the core columns (missing = empty); ``raw.attributes``: the others."""
        if raw.problems:
            return list(raw.problems)
        get = raw.fields.get
        customer_id = get("customer_id", "").strip()
        raw_phone = get("phone", "").strip()
        name = " ".join(get("name", "").split())
        problems: list[str] = []
        if not customer_id:
            problems.append("customer_id: required")
        elif len(customer_id) > MAX_ID:
            problems.append(f"customer_id: longer than {MAX_ID} characters")
        phone = to_e164(raw_phone, self._rules.phone_region) if raw_phone else None
        if phone is None:
            problems.append(self._phone_problem(raw_phone))
        opt_in = _BOOLEANS.get(get("opt_in", "").strip().lower())
        if opt_in is None:
            problems.append(f"opt_in: expected true or false, got {get('opt_in', '')!r}")
        if len(name) > MAX_TEXT:
            problems.append(f"name: longer than {MAX_TEXT} characters")
        language = self._language(get("language", "").strip(), problems)
        timezone = self._zone(get("timezone", "").strip(), problems)
        tier = self._tier(get("tier", "").strip(), problems)
        values = self._attributes(raw.attributes, problems)
        if _CONTROL.search(customer_id + name):
            problems.append("customer_id/name: control characters are not allowed")
        # every None above added a problem; the second half only narrows the types
        if (
            problems
            or phone is None
            or opt_in is None
            or language is None
            or timezone is None
            or tier is None
        ):
            return problems
        return Customer(customer_id, phone, opt_in, name, language, timezone, tier, values)

    def _phone_problem(self, raw: str) -> str:
        if not raw:
            return "phone: required"
        region = self._rules.phone_region
        return f"phone: {raw!r} is not a valid number (national numbers are read as {region})"

    def _language(self, raw: str, problems: list[str]) -> str | None:
        if raw not in self._languages:
            self._languages[raw] = canonical_language(raw, self._rules.languages)
        found = self._languages[raw]
        if found is None:
            problems.append(f"language: {raw!r} is not a BCP 47 tag of a known language")
        return found

    def _zone(self, raw: str, problems: list[str]) -> str | None:
        if raw not in self._zones:
            self._zones[raw] = self._rules.timezones.get(raw.lower())
        found = self._zones[raw]
        if found is None:
            problems.append(f"timezone: {raw!r} is not an IANA time zone")
        return found

    def _tier(self, raw: str, problems: list[str]) -> str | None:
        found = self._tiers.get(raw.lower())
        if found is None:
            known = ", ".join(self._rules.tiers)
            problems.append(f"tier: {raw!r} is not a configured tier ({known})")
        return found

    def _attributes(self, raw: Mapping[str, str], problems: list[str]) -> dict[str, str]:
        # the usual row: known names, short clean values, checked all at once
        if self._names.issuperset(raw):
            values = {name: text for name, value in raw.items() if (text := value.strip())}
            joined = "".join(values.values())
            short = len(joined) <= MAX_TEXT or max(map(len, values.values())) <= MAX_TEXT
            if short and not _CONTROL.search(joined):
                return values
        return self._attribute_problems(raw, problems)

    def _attribute_problems(self, raw: Mapping[str, str], problems: list[str]) -> dict[str, str]:
        values: dict[str, str] = {}
        for name, value in raw.items():
            if name not in self._names:
                problem = attribute_name_problem(name)
                if problem is not None:
                    problems.append(f"attributes.{name}: {problem}")
                    continue
                self._names.add(name)
            text = value.strip()
            if len(text) > MAX_TEXT:
                problems.append(f"{name}: longer than {MAX_TEXT} characters")
            elif _CONTROL.search(text):
                problems.append(f"{name}: control characters are not allowed")
            elif text:
                values[name] = text
        return values
