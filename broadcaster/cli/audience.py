"""``broadcaster audience --segment NAME | --incident ID``: who would be messaged."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import Any

from broadcaster.adapters.audience import Audiences
from broadcaster.adapters.directory import Directory
from broadcaster.adapters.incident_store import IncidentStore
from broadcaster.adapters.keys import Keys
from broadcaster.adapters.segment_files import load_segments
from broadcaster.cli.output import as_json, table
from broadcaster.cli.store import redis_for
from broadcaster.config import Settings
from broadcaster.domain.segments import parse_labels
from broadcaster.errors import InputError
from broadcaster.services.audience_preview import AudienceView
from broadcaster.services.customer_rules import index_policy, known_attributes


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    audience = sub.add_parser("audience", help="the audience of a segment or an incident")
    which = audience.add_mutually_exclusive_group(required=True)
    which.add_argument("--segment", metavar="NAME", help="a segment (segments/NAME.toml)")
    which.add_argument("--incident", metavar="ID", help="an incident id")
    audience.add_argument(
        "--label",
        action="append",
        dest="labels",
        metavar="KEY=VALUE",
        help="an incident label, as an alert would scope the segment",
    )
    audience.add_argument(
        "--sample", type=int, default=10, metavar="N", help="customers shown (max 100)"
    )
    audience.add_argument("--json", action="store_true")
    audience.set_defaults(handler=run_audience)


def run_audience(args: argparse.Namespace, settings: Settings) -> int:
    body = asyncio.run(_resolve(args, settings))
    if args.json:
        as_json(body)
    else:
        print_audience(body)
    return 0


async def _resolve(args: argparse.Namespace, settings: Settings) -> dict[str, Any]:
    segments, problems = load_segments(Path(settings.paths.segments), known_attributes(settings))
    if problems:
        raise InputError("the segment files have problems (broadcaster segments check)", problems)
    keys = Keys(settings.redis.key_prefix)
    async with redis_for(settings) as redis:
        view = AudienceView(
            settings,
            keys,
            Directory(redis, keys, index_policy(settings)),
            Audiences(redis, keys, settings.tiers.order),
            IncidentStore(redis, keys),
            segments,
        )
        if args.incident:
            return await view.of_incident(args.incident, args.sample)
        return await view.of_segment(args.segment, parse_labels(args.labels), args.sample)


def print_audience(body: dict[str, Any]) -> None:
    subject = body.get("incident") or body.get("segment")
    print(f"{subject}: {body['rule']}")
    print(f"  affected   {body['affected']:>12,}  in scope, consent aside")
    print(f"  eligible   {body['eligible']:>12,}  opted in and not opted out")
    print(f"  notified   {body['notified']:>12,}")
    print(f"  holdout    {body['holdout']:>12,}  ({body['holdout_percent']:g}%)")
    if body.get("incident"):
        print(f"  already selected by earlier notices: {body['already_selected']:,}")
    estimate = body["estimate"]
    print(f"  sending takes ~{estimate['seconds']:,} s at {estimate['per_second']} msg/s")
    cost = f"{estimate['cost']:,.2f} {estimate['currency']}".strip()
    print(f"  costs ~{cost} if all are delivered ({estimate['category']} template)")
    print("  by tier:     " + _counts(body["by_tier"]))
    print("  by language: " + _counts(body["by_language"]))
    if body["sample"]:
        print()
        table(
            ["phone", "tier", "language"],
            [(c["phone"], c["tier"], c["language"]) for c in body["sample"]],
        )


def _counts(counts: dict[str, int]) -> str:
    return "  ".join(f"{name} {count:,}" for name, count in counts.items()) or "-"
