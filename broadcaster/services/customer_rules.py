"""What a valid customer row is here: the configuration plus CLDR languages and IANA zones."""

from __future__ import annotations

import re
from functools import cache
from zoneinfo import available_timezones

from babel import Locale

from broadcaster.config import Settings
from broadcaster.domain.customer_rows import RowRules
from broadcaster.domain.customers import IndexPolicy

_PRIMARY = re.compile(r"^[a-z]{2,3}$")


@cache
def known_languages() -> frozenset[str]:
    """ISO 639 codes CLDR names (~600): ``id``, ``jv``, ``en``, ``su``..."""
    codes = [str(code) for code in Locale("en").languages]
    return frozenset(code for code in codes if _PRIMARY.match(code))


@cache
def known_timezones() -> dict[str, str]:
    return {name.lower(): name for name in available_timezones()}


def row_rules(settings: Settings) -> RowRules:
    return RowRules(
        phone_region=settings.app.default_phone_region,
        tiers=tuple(settings.tiers.order),
        default_tier=settings.tiers.default,
        default_language=settings.app.default_language,
        default_timezone=settings.app.default_timezone,
        languages=known_languages(),
        timezones=known_timezones(),
    )


def index_policy(settings: Settings) -> IndexPolicy:
    return IndexPolicy(frozenset(settings.customers.indexed_attributes))


def known_attributes(settings: Settings) -> frozenset[str] | None:
    """The attributes a segment may name when ``customers.indexed_attributes`` is set
    (``None``: any attribute of the imported files)."""
    return frozenset(settings.customers.indexed_attributes) or None
