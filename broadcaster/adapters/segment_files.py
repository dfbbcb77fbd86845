"""Read ``segments/*.toml`` into Segments, naming the file and key of each problem.

One file per segment, named after it (``segments/NAME.toml``); the syntax is in
``domain/segment_syntax.py`` and ``segments/README.md``.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from broadcaster.domain.segment_syntax import parse_segment
from broadcaster.domain.segments import Segment


def load_segments(
    directory: Path, known_attributes: frozenset[str] | None = None
) -> tuple[dict[str, Segment], list[str]]:
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
        segment, found = parse_segment(raw, str(path), known_attributes)
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
