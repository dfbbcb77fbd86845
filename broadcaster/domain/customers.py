"""Customers as the directory knows them, and the index entries that make them selectable."""

from __future__ import annotations

import hashlib
import json
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

    def index_entries(self) -> list[tuple[str, str]]:
        """(attribute, value) pairs a segment can select on: free attributes, tier, language."""
        entries = [(k, v) for k, v in sorted(self.attributes.items()) if v != ""]
        entries.append((TIER_ATTRIBUTE, self.tier))
        entries.append((LANGUAGE_ATTRIBUTE, self.language))
        entries.append((CALLING_CODE_ATTRIBUTE, calling_code(self.phone)))
        return entries


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
