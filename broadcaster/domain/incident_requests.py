"""Commander requests as they arrive from the API: validated into ``Declaration``/``Update``.

Every problem in a body is listed at once (one line per field), so a commander fixes a
request in one go; unknown fields are refused rather than silently dropped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any

from broadcaster.domain.incidents import TERMINAL, Declaration, Severity, Status, Update
from broadcaster.domain.timefmt import parse_rfc3339
from broadcaster.errors import InputError


def parse_declaration(body: Any, known_segments: Sequence[str] | None = None) -> Declaration:
    """Validate a declare request body (CONTRACT.md); every problem is listed in the error."""
    problems: list[str] = []
    if not isinstance(body, Mapping):
        raise InputError("request body must be a JSON object")
    title = body.get("title")
    if not isinstance(title, str) or not title.strip():
        problems.append("title: required, a non-empty string")
    elif len(title) > 200:
        problems.append("title: at most 200 characters")
    severity = _enum(body.get("severity", "major"), Severity, "severity", problems)
    segments = _segments(body, known_segments, problems)
    eta = _time(body.get("eta"), "eta", problems)
    summary = _optional_str(body.get("summary"), "summary", problems, 1000)
    labels = _labels(body.get("labels"), problems)
    if not segments and not labels and "segments" not in body:
        problems.append("segments: required (or labels that segments map from)")
    holdout = _holdout(body.get("holdout_percent"), problems)
    unknown = set(body) - {"title", "severity", "segments", "eta", "summary", "labels"}
    unknown -= {"holdout_percent"}
    problems += [f"{key}: unknown field" for key in sorted(unknown)]
    if problems:
        raise InputError("invalid incident declaration", problems)
    assert isinstance(title, str)
    assert severity is not None
    return Declaration(
        title=title.strip(),
        severity=severity,
        segments=tuple(segments),
        eta=eta,
        summary=summary,
        labels=labels,
        holdout_percent=holdout,
    )


def _holdout(value: Any, problems: list[str]) -> float | None:
    """A per-incident holdout share, 0 to 50 percent (null: the configured default)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 50:
        problems.append("holdout_percent: expected a percentage from 0 to 50, or null")
        return None
    return float(value)


def parse_update(body: Any, known_segments: Sequence[str] | None = None) -> Update:
    """Validate an update request body: ``{"eta"?, "status"?, "note"?, "segments"?}``."""
    if not isinstance(body, Mapping):
        raise InputError("request body must be a JSON object")
    problems: list[str] = []
    status = _enum(body.get("status"), Status, "status", problems) if "status" in body else None
    if status in TERMINAL:
        problems.append(
            f"status: use the {'resolve' if status is Status.RESOLVED else 'cancel'} verb"
        )
    eta = _time(body.get("eta"), "eta", problems)
    note = _optional_str(body.get("note"), "note", problems, 1000)
    segments = _segments(body, known_segments, problems) if "segments" in body else None
    unknown = set(body) - {"eta", "status", "note", "segments"}
    problems += [f"{key}: unknown field" for key in sorted(unknown)]
    if problems:
        raise InputError("invalid incident update", problems)
    clear = "eta" in body and body["eta"] is None
    return Update(
        eta=eta,
        status=status,
        note=note,
        clear_eta=clear,
        segments=tuple(segments) if segments is not None else None,
    )


def _segments(
    body: Mapping[str, Any], known: Sequence[str] | None, problems: list[str]
) -> list[str]:
    before = len(problems)
    segments = _string_list(body.get("segments"), "segments", problems)
    if not segments and "segments" in body and len(problems) == before:
        problems.append("segments: name at least one segment")
    if known is not None:
        problems += [f"segments: unknown segment {s!r}" for s in segments if s not in known]
    return segments


def _enum(value: Any, enum: type[StrEnum], key: str, problems: list[str]) -> Any:
    try:
        return enum(value)
    except ValueError:
        allowed = "|".join(m.value for m in enum)
        problems.append(f"{key}: expected {allowed}, got {value!r}")
        return None


def _time(value: Any, key: str, problems: list[str]) -> datetime | None:
    if value is None:
        return None
    try:
        if not isinstance(value, str):
            raise ValueError
        return parse_rfc3339(value)
    except ValueError:
        problems.append(f"{key}: expected an RFC 3339 time with offset, got {value!r}")
        return None


def _optional_str(value: Any, key: str, problems: list[str], limit: int) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        problems.append(f"{key}: expected a string")
        return None
    if len(value) > limit:
        problems.append(f"{key}: at most {limit} characters")
    return value


def _string_list(value: Any, key: str, problems: list[str]) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        problems.append(f"{key}: expected a list of non-empty strings")
        return []
    return list(dict.fromkeys(value))


def _labels(value: Any, problems: list[str]) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        problems.append("labels: expected an object of string values")
        return {}
    return dict(value)
