"""``broadcaster segments check|list``: the segment files under ``[paths] segments``."""

from __future__ import annotations

import argparse
from pathlib import Path

from broadcaster.adapters.segment_files import load_segments
from broadcaster.cli.output import as_json, error, table
from broadcaster.config import Settings
from broadcaster.domain.segments import describe
from broadcaster.services.customer_rules import known_attributes


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    segments = sub.add_parser("segments", help="segment files (segments/README.md)")
    verbs = segments.add_subparsers(dest="verb", required=True, metavar="VERB")
    check = verbs.add_parser("check", help="validate every segment file; name file and key")
    check.add_argument("--dir", type=Path, help="default: [paths] segments")
    check.set_defaults(handler=run_check)
    listing = verbs.add_parser("list", help="segments with their rules")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=run_list)


def run_check(args: argparse.Namespace, settings: Settings) -> int:
    directory = args.dir or Path(settings.paths.segments)
    segments, problems = load_segments(directory, known_attributes(settings))
    for problem in problems:
        error(problem)
    if problems:
        return 2
    print(f"{len(segments)} segments OK in {directory}")
    return 0


def run_list(args: argparse.Namespace, settings: Settings) -> int:
    segments, problems = load_segments(Path(settings.paths.segments), known_attributes(settings))
    for problem in problems:
        error(problem)
    if args.json:
        as_json([s.to_dict() for s in segments.values()])
    else:
        table(
            ["name", "rule", "from labels"],
            [
                (s.name, describe(s.rule), ", ".join(f"{k}->{v}" for k, v in s.from_labels.items()))
                for s in segments.values()
            ],
        )
    return 2 if problems else 0
