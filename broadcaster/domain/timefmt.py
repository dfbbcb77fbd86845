"""RFC 3339 timestamps in and out: aware datetimes only, UTC with a ``Z`` on the way out."""

from __future__ import annotations

from datetime import UTC, datetime


def parse_rfc3339(value: str | None) -> datetime | None:
    """Parse an RFC 3339 time; a time without an offset is refused (it would be a guess)."""
    if value is None:
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    if "T" not in text and "t" not in text:
        raise ValueError(f"not an RFC 3339 date-time: {value!r}")
    # fromisoformat takes at most 6 fractional digits; Alertmanager sends up to 9
    head, dot, rest = text.partition(".")
    if dot:
        digits = len(rest) - len(rest.lstrip("0123456789"))
        rest = rest[:digits][:6] + rest[digits:]
        text = f"{head}.{rest}"
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        raise ValueError(f"time needs an offset or Z: {value!r}")
    return parsed.astimezone(UTC)


def format_rfc3339(value: datetime | None) -> str | None:
    """UTC, second precision unless there are microseconds, ``Z`` suffix."""
    if value is None:
        return None
    utc = value.astimezone(UTC)
    spec = "microseconds" if utc.microsecond else "seconds"
    return utc.isoformat(timespec=spec).replace("+00:00", "Z")
