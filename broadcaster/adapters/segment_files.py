"""Read ``segments/*.toml`` into Segments, naming the file and key of each problem.

The minimal form (CONTRACT.md)::

    name = "jkt-selatan-fiber"
    description = "Fibre customers in South Jakarta"
    [match]                 # every key must hold; a list means any of its values
    region = ["jkt-selatan"]
    service = "fiber"
    [from_labels]           # incident label -> customer attribute
    region = "region"
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from broadcaster.domain.segments import EVERYONE, AllOf, Equals, Rule, Segment

SEGMENT_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")
ATTRIBUTE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


def parse_segment(raw: Mapping[str, Any], where: str) -> tuple[Segment | None, list[str]]:
    problems = [f"{where}: {k}: unknown key" for k in sorted(set(raw) - _TOP_KEYS)]
    name = raw.get("name")
    if not isinstance(name, str) or not SEGMENT_NAME.match(name):
        problems.append(f"{where}: name: required; lower-case letters, digits, '-', '_', '.'")
    description = raw.get("description", "")
    if not isinstance(description, str):
        problems.append(f"{where}: description: expected a string")
    rule = _match(raw.get("match", {}), where, problems)
    from_labels = raw.get("from_labels", {})
    if not isinstance(from_labels, dict) or not all(
        isinstance(v, str) and ATTRIBUTE_NAME.match(v) for v in from_labels.values()
    ):
        problems.append(f'{where}: from_labels: expected label = "attribute" pairs')
        from_labels = {}
    if problems:
        return None, problems
    assert isinstance(name, str)
    return Segment(name, str(description), rule, dict(from_labels)), []


_TOP_KEYS = {"name", "description", "match", "from_labels"}


def _match(raw: Any, where: str, problems: list[str]) -> Rule:
    if not isinstance(raw, dict):
        problems.append(f"{where}: match: expected a table")
        return EVERYONE
    rules: list[Rule] = []
    for attribute, value in sorted(raw.items()):
        key = f"{where}: match.{attribute}"
        if not ATTRIBUTE_NAME.match(attribute):
            problems.append(f"{key}: attribute names are lower-case letters, digits and _")
            continue
        values = [value] if isinstance(value, str) else value
        if (
            not isinstance(values, list)
            or not values
            or not all(isinstance(v, str) for v in values)
        ):
            problems.append(f"{key}: expected a string or a non-empty list of strings")
            continue
        rules.append(Equals(attribute, tuple(values)))
    return AllOf(tuple(rules))


def load_segments(directory: Path) -> tuple[dict[str, Segment], list[str]]:
    """Every segment file in ``directory``; problems are ``"<file>: <key>: <what>"`` lines."""
    if not directory.is_dir():
        return {}, [f"{directory}: segments directory not found"]
    segments: dict[str, Segment] = {}
    problems: list[str] = []
    for path in sorted(directory.glob("*.toml")):
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            problems.append(f"{path}: not valid TOML: {exc}")
            continue
        segment, found = parse_segment(raw, str(path))
        problems += found
        if segment is None:
            continue
        if segment.name in segments:
            problems.append(f"{path}: name: {segment.name!r} is also defined in another file")
        elif segment.name != path.stem:
            problems.append(f"{path}: name: {segment.name!r} differs from the file name")
        else:
            segments[segment.name] = segment
    return segments, problems
