"""Turn a nested mapping (TOML plus environment strings) into frozen dataclasses.

Generic and pure: it knows nothing about Outage Broadcaster's sections. It collects every
problem instead of stopping at the first, so an operator fixes a broken file in one pass.
Values that came from the environment are strings; they are parsed to the field's type
(``"5"`` -> 5, ``"a,b"`` -> ["a", "b"], ``"90s"`` -> timedelta(seconds=90)).
"""

from __future__ import annotations

import dataclasses
import enum
import json
import re
import types
import typing
from collections.abc import Mapping
from datetime import timedelta
from typing import Any, Literal, TypeVar, get_args, get_origin, get_type_hints

T = TypeVar("T")

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w)")
_DURATION_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


class Secret:
    """A secret string: its repr and str never show the value; ``reveal()`` does."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __repr__(self) -> str:
        return "Secret('***')" if self._value else "Secret('')"

    __str__ = __repr__


class EnvString(str):
    """Marks a value that came from an environment variable (so it is parsed, not type-checked)."""

    __slots__ = ()


def parse_duration(text: str) -> timedelta:
    """Parse ``"90s"``, ``"15m"``, ``"1h30m"``, ``"2d"`` or a bare number of seconds."""
    text = text.strip().lower()
    try:
        return timedelta(seconds=float(text))
    except ValueError:
        pass
    pos, total = 0, 0.0
    for match in _DURATION_PART.finditer(text):
        if match.start() != pos:
            break
        total += float(match.group(1)) * _DURATION_UNITS[match.group(2)]
        pos = match.end()
    if pos != len(text) or not text:
        raise ValueError(f"expected a duration like '90s', '15m' or '2h', got {text!r}")
    return timedelta(seconds=total)


@dataclasses.dataclass
class Problems:
    """Accumulates ``(key, message)`` pairs; ``key`` is the dotted path in the config file."""

    items: list[tuple[str, str]] = dataclasses.field(default_factory=list)

    def add(self, key: str, message: str) -> None:
        self.items.append((key, message))

    def lines(self) -> list[str]:
        return [f"{key}: {message}" if key else message for key, message in self.items]


def build(cls: type[T], raw: Mapping[str, Any], problems: Problems, path: str = "") -> T:
    """Build dataclass ``cls`` from ``raw``; report unknown keys and bad values in ``problems``.

    Missing keys take the dataclass default. When a value is wrong the default is used so that
    checking can go on; the caller must not use the result if ``problems`` is non-empty.
    """
    hints = get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    for key in raw:
        if key not in fields:
            hint = _closest(key, fields)
            problems.add(
                _join(path, key), "unknown key" + (f" (did you mean '{hint}'?)" if hint else "")
            )
    kwargs: dict[str, Any] = {}
    for name, field in fields.items():
        key = _join(path, name)
        if name in raw:
            try:
                kwargs[name] = convert(hints[name], raw[name], problems, key)
            except (TypeError, ValueError) as exc:
                problems.add(key, str(exc))
        elif field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING:
            problems.add(key, "required key is missing")
    try:
        result = cls(**kwargs)
    except (TypeError, ValueError) as exc:
        problems.add(path, str(exc))
        return cls()
    check = getattr(result, "problems", None)
    if check is not None:
        for sub, message in check():
            problems.add(_join(path, sub), message)
    return result


def convert(tp: Any, value: Any, problems: Problems, key: str) -> Any:  # noqa: C901
    """Convert one value to type ``tp`` (see the module docstring for what is accepted)."""
    origin = get_origin(tp)
    from_env = isinstance(value, EnvString)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in get_args(tp) if a is not type(None)]
        if value is None or (from_env and value == ""):
            return None
        return convert(options[0], value, problems, key)
    if dataclasses.is_dataclass(tp):
        if not isinstance(value, Mapping):
            raise TypeError(f"expected a table, got {_describe(value)}")
        return build(tp, value, problems, key)  # type: ignore[arg-type]
    if origin is Literal:
        allowed = get_args(tp)
        if value not in allowed:
            raise ValueError(f"expected one of {', '.join(map(repr, allowed))}, got {value!r}")
        return value
    if origin in (list, tuple):
        (item_tp, *_) = get_args(tp)
        if from_env:
            value = _env_list(value)
        if not isinstance(value, list):
            raise TypeError(f"expected a list, got {_describe(value)}")
        items = [convert(item_tp, v, problems, f"{key}[{i}]") for i, v in enumerate(value)]
        return tuple(items) if origin is tuple else items
    if origin is dict:
        _, value_tp = get_args(tp)
        if from_env:
            value = json.loads(value)
        if not isinstance(value, Mapping):
            raise TypeError(f"expected a table, got {_describe(value)}")
        return {
            str(k): convert(value_tp, v, problems, _join(key, str(k))) for k, v in value.items()
        }
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        try:
            return tp(value)
        except ValueError:
            choices = ", ".join(repr(m.value) for m in tp)
            raise ValueError(f"expected one of {choices}, got {value!r}") from None
    return _scalar(tp, value, from_env)


def _scalar(tp: Any, value: Any, from_env: bool) -> Any:  # noqa: C901
    if tp is Secret:
        if not isinstance(value, str):
            raise TypeError(f"expected a string, got {_describe(value)}")
        return Secret(str(value))
    if tp is timedelta:
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise TypeError(f"expected a duration like '90s', got {_describe(value)}")
        result = parse_duration(str(value))
        if result < timedelta(0):
            raise ValueError("must not be negative")
        return result
    if tp is bool:
        if from_env:
            lowered = value.strip().lower()
            if lowered in ("1", "true", "yes", "on"):
                return True
            if lowered in ("0", "false", "no", "off"):
                return False
            raise ValueError(f"expected true or false, got {value!r}")
        if not isinstance(value, bool):
            raise TypeError(f"expected true or false, got {_describe(value)}")
        return value
    if tp is int:
        if from_env:
            return int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"expected an integer, got {_describe(value)}")
        return value
    if tp is float:
        if from_env:
            return float(value)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise TypeError(f"expected a number, got {_describe(value)}")
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            raise TypeError(f"expected a string, got {_describe(value)}")
        return str(value)
    if tp is Any:
        return value
    raise TypeError(f"unsupported setting type {tp!r}")  # pragma: no cover - schema bug


def _env_list(value: str) -> Any:
    text = value.strip()
    if text.startswith("["):
        return [EnvString(v) if isinstance(v, str) else v for v in json.loads(text)]
    return [EnvString(part.strip()) for part in text.split(",") if part.strip()]


def _describe(value: Any) -> str:
    names = {bool: "a boolean", int: "an integer", float: "a number", str: "a string"}
    for tp, name in names.items():
        if type(value) is tp:
            return f"{name} ({value!r})"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, Mapping):
        return "a table"
    return type(value).__name__


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _closest(key: str, fields: Mapping[str, Any]) -> str | None:
    import difflib

    matches = difflib.get_close_matches(key, list(fields), n=1, cutoff=0.75)
    return matches[0] if matches else None
