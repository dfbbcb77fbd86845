"""``broadcaster customers import FILE`` and ``broadcaster customers erase ID...``."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from broadcaster.adapters.customer_files import FORMATS
from broadcaster.adapters.directory import Directory
from broadcaster.adapters.keys import Keys
from broadcaster.cli.output import as_json
from broadcaster.cli.progress import Progress
from broadcaster.cli.store import redis_for
from broadcaster.config import Settings
from broadcaster.services.customer_import import ImportReport, import_customers
from broadcaster.services.customer_rules import index_policy


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    customers = sub.add_parser("customers", help="the customer directory")
    verbs = customers.add_subparsers(dest="verb", required=True, metavar="VERB")
    load = verbs.add_parser(
        "import", help="import a CSV or JSON Lines customer file (docs/customers.md)"
    )
    load.add_argument("file", type=Path, metavar="FILE")
    load.add_argument("--format", choices=FORMATS, help="default: from the extension, else sniffed")
    load.add_argument(
        "--rejects",
        type=Path,
        help="rejected rows with line and reason (default: FILE.rejects.csv)",
    )
    load.add_argument("--json", action="store_true", help="print the summary as JSON")
    load.set_defaults(handler=run_import)
    erase = verbs.add_parser("erase", help="erase customers' personal data from the directory")
    erase.add_argument("customer_ids", nargs="+", metavar="ID")
    erase.set_defaults(handler=run_erase)


def run_import(args: argparse.Namespace, settings: Settings) -> int:
    progress = Progress(sys.stderr, sys.stderr.isatty())
    try:
        report = asyncio.run(_import(args, settings, progress))
    finally:
        progress.close()
    if args.json:
        as_json(report.to_dict())
    else:
        print_report(report)
    return 0


async def _import(args: argparse.Namespace, settings: Settings, progress: Progress) -> ImportReport:
    async with redis_for(settings) as redis:
        return await import_customers(
            redis,
            Keys(settings.redis.key_prefix),
            settings,
            args.file,
            fmt=args.format,
            rejects_path=args.rejects,
            progress=progress,
        )


def print_report(report: ImportReport) -> None:
    print(f"{report.path}: {report.rows:,} rows read ({report.format})")
    print(f"  imported   {report.created:>12,}")
    print(f"  updated    {report.updated:>12,}")
    print(f"  unchanged  {report.unchanged:>12,}")
    print(f"  rejected   {report.rejected:>12,}  (lines and reasons: {report.rejects_path})")
    if report.duplicates:
        lines = ", ".join(str(n) for n in report.duplicate_lines)
        more = ", ..." if report.duplicates > len(report.duplicate_lines) else ""
        print(
            f"  duplicates {report.duplicates:>12,}  "
            f"(ids seen again, the later row won: lines {lines}{more})"
        )


def run_erase(args: argparse.Namespace, settings: Settings) -> int:
    erased = asyncio.run(_erase(settings, args.customer_ids))
    for customer_id, done in zip(args.customer_ids, erased, strict=True):
        print(f"{customer_id}: {'erased' if done else 'not found'}")
    return 0  # erasing an unknown id leaves the wanted state: idempotent, not a failure


async def _erase(settings: Settings, customer_ids: list[str]) -> list[bool]:
    async with redis_for(settings) as redis:
        directory = Directory(redis, Keys(settings.redis.key_prefix), index_policy(settings))
        return await directory.erase(customer_ids)
