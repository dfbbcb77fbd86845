"""Customers as the directory knows them, and the index entries that make them selectable."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from phonenumbers import COUNTRY_CODE_TO_REGION_CODE

# Attribute names the directory indexes for segments besides the customer's free attributes.
TIER_ATTRIBUTE = "tier"
LANGUAGE_ATTRIBUTE = "language"
# country calling code of the phone number: prices are per country (whatsapp.md §6)
CALLING_CODE_ATTRIBUTE = "cc"
_CALLING_CODES = frozenset(str(code) for code in COUNTRY_CODE_TO_REGION_CODE)


def calling_code(phone: str) -> str:
    """``+6281234567890`` -> ``62``: the country calling code (1 to 3 digits) of an E.164 number."""
    digits = phone.removeprefix("+")
    for length in (1, 2, 3):
        if digits[:length] in _CALLING_CODES:
            return digits[:length]
    return ""


REQUIRED_FIELDS = ("customer_id", "phone", "opt_in")
OPTIONAL_FIELDS = ("name", "language", "timezone", "tier")
CORE_FIELDS = REQUIRED_FIELDS + OPTIONAL_FIELDS
# words of the segment syntax (domain/segment_syntax.py) cannot also be attribute names
RULE_WORDS = frozenset({"any_of", "all_of", "not"})
RESERVED_NAMES = frozenset(CORE_FIELDS) | RULE_WORDS | {CALLING_CODE_ATTRIBUTE}
ATTRIBUTE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


@dataclass(frozen=True, slots=True)
class Customer:
    """One customer. ``phone`` is E.164 with a leading ``+``; empty strings mean "default"."""

    customer_id: str
    phone: str
    opt_in: bool
    name: str = ""
    language: str = ""
    timezone: str = ""
    tier: str = ""
    attributes: Mapping[str, str] = field(default_factory=dict)

    @property
    def wa_id(self) -> str:
        """The Cloud API recipient: the number's digits without ``+``."""
        return self.phone.removeprefix("+")

    def content_hash(self) -> str:
        """Changes exactly when a stored field changes: tells "updated" from "unchanged"."""
        canonical = json.dumps(
            [
                self.phone,
                self.opt_in,
                self.name,
                self.language,
                self.timezone,
                self.tier,
                sorted(self.attributes.items()),
            ],
            ensure_ascii=False,
            separators=(",", ":"),
        )
        return hashlib.blake2b(canonical.encode(), digest_size=12).hexdigest()

    def index_entries(self, policy: IndexPolicy | None = None) -> list[tuple[str, str]]:
        """(attribute, value) pairs a segment can select on: the indexed attributes, tier,
        language and the calling code (for cost estimates by country)."""
        policy = policy or IndexPolicy()
        entries = [
            (name, value)
            for name, value in sorted(self.attributes.items())
            if value and policy.indexes(name)
        ]
        entries.append((TIER_ATTRIBUTE, self.tier))
        entries.append((LANGUAGE_ATTRIBUTE, self.language))
        entries.append((CALLING_CODE_ATTRIBUTE, calling_code(self.phone)))
        return entries


@dataclass(frozen=True, slots=True)
class IndexPolicy:
    """Which free attributes get an index (a bitmap per value); tier and language always do.

    ``attributes`` empty means every attribute. An unindexed attribute is still stored on the
    record (templates can print it) but no segment can select on it: that is how an id-like
    column (account number, street address) is kept from costing a bitmap per distinct value.
    """

    attributes: frozenset[str] = frozenset()

    def indexes(self, attribute: str) -> bool:
        return not self.attributes or attribute in self.attributes


def with_defaults(customer: Customer, language: str, timezone: str, tier: str) -> Customer:
    """Fill the blanks from configuration, so what is stored is what is used."""
    return Customer(
        customer_id=customer.customer_id,
        phone=customer.phone,
        opt_in=customer.opt_in,
        name=customer.name,
        language=customer.language or language,
        timezone=customer.timezone or timezone,
        tier=customer.tier or tier,
        attributes=customer.attributes,
    )


def attribute_name_problem(name: str) -> str | None:
    """Why ``name`` cannot be a customer attribute, or ``None`` when it can."""
    if not ATTRIBUTE_NAME.match(name):
        return "attribute names are a lower-case letter, then letters, digits or _ (max 64)"
    if name in RESERVED_NAMES:
        return f"{name!r} is reserved"
    return None
