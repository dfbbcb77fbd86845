"""Times in the customer's time zone and language (CLDR data through Babel).

Commanders give ETAs in UTC; customers read "Sel 24 Nov, 14:30 WIB" or "Tue 24 Nov, 14:30".
Formatting is cached per (instant, zone, language): a broadcast formats each ETA once per
distinct zone and language, not once per customer.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError
from babel.dates import format_datetime


@lru_cache(maxsize=512)
def zone(name: str, fallback: str = "UTC") -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(fallback)


@lru_cache(maxsize=256)
def locale(language: str) -> Locale:
    try:
        return Locale.parse(language.replace("-", "_"))
    except (ValueError, UnknownLocaleError):
        return Locale.parse("en")


@lru_cache(maxsize=4096)
def format_local(instant: datetime, timezone: str, language: str) -> str:
    """``Sel 24 Nov, 14:30 WIB``: weekday, date and time in the reader's zone and language."""
    return format_datetime(
        instant, "EEE d MMM, HH:mm zzz", tzinfo=zone(timezone), locale=locale(language)
    )


@lru_cache(maxsize=4096)
def format_clock(instant: datetime, timezone: str, language: str) -> str:
    """``14:30``: the time of day only, for "since 14:30"."""
    return format_datetime(instant, "HH:mm", tzinfo=zone(timezone), locale=locale(language))
