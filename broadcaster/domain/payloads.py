"""Typed reading of decoded webhook and feed bodies, with the failing field named.

Senders add fields over time, so unknown fields are ignored; a field we rely on that is
missing or of the wrong type refuses the whole body with a message naming its path
(``alerts[1].startsAt: expected an RFC 3339 time``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any, NoReturn

from broadcaster.domain.timefmt import parse_rfc3339
from broadcaster.errors import InputError


class PayloadError(InputError):
    code = "invalid_payload"


def load_json(body: bytes, what: str) -> Any:
    """The decoded body, or a ``PayloadError`` saying why it is not JSON."""
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise PayloadError(f"{what}: body is not valid JSON", [str(exc)]) from exc


def load_object(body: bytes, what: str) -> Mapping[str, Any]:
    """The body as a JSON object, or a ``PayloadError`` saying why not."""
    data = load_json(body, what)
    if not isinstance(data, dict):
        raise PayloadError(f"{what}: expected a JSON object, got {type(data).__name__}")
    return data


class Fields:
    """Typed access to one JSON object; ``path`` prefixes every problem it reports."""

    def __init__(self, data: Any, path: str, what: str) -> None:
        self.what = what
        self.path = path
        if not isinstance(data, Mapping):
            self.fail("", "expected an object")
        self.data: Mapping[str, Any] = data

    def fail(self, key: str, problem: str) -> NoReturn:
        where = ".".join(p for p in (self.path, key) if p) or "body"
        raise PayloadError(f"invalid {self.what} payload", [f"{where}: {problem}"])

    def child(self, key: str) -> Fields:
        return Fields(self.data.get(key), self._join(key), self.what)

    def optional_child(self, key: str) -> Fields | None:
        value = self.data.get(key)
        return None if value is None else Fields(value, self._join(key), self.what)

    def items(self, key: str) -> list[Fields]:
        value = self.data.get(key)
        if not isinstance(value, list):
            self.fail(key, "required, a list")
        return [Fields(item, f"{self._join(key)}[{i}]", self.what) for i, item in enumerate(value)]

    def optional_items(self, key: str) -> list[Fields]:
        return [] if self.data.get(key) is None else self.items(key)

    def text(self, key: str) -> str:
        value = self.data.get(key)
        if not isinstance(value, str) or not value:
            self.fail(key, "required, a non-empty string")
        return value

    def optional_text(self, key: str) -> str | None:
        value = self.data.get(key)
        if value is not None and not isinstance(value, str):
            self.fail(key, "expected a string")
        return value or None

    def choice(self, key: str, allowed: tuple[str, ...]) -> str:
        value = self.data.get(key)
        if value not in allowed:
            self.fail(key, f"expected one of {'|'.join(allowed)}, got {value!r}")
        return str(value)

    def count(self, key: str) -> int:
        """A non-negative integer, 0 when absent."""
        value = self.data.get(key, 0)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            self.fail(key, "expected a non-negative integer")
        return value

    def time(self, key: str) -> datetime:
        parsed = self.optional_time(key)
        if parsed is None:
            self.fail(key, "required, an RFC 3339 time")
        return parsed

    def optional_time(self, key: str) -> datetime | None:
        value = self.data.get(key)
        if value is None:
            return None
        try:
            if not isinstance(value, str):
                raise TypeError
            return parse_rfc3339(value)
        except (TypeError, ValueError):
            self.fail(key, f"expected an RFC 3339 time with offset, got {value!r}")

    def labels(self, key: str) -> dict[str, str]:
        """An object of string values (Prometheus labels, annotations); ``{}`` when absent."""
        value = self.data.get(key)
        if value is None:
            return {}
        if not isinstance(value, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()
        ):
            self.fail(key, "expected an object of string values")
        return dict(value)

    def _join(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key
