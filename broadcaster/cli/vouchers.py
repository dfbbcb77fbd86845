"""``broadcaster vouchers export INCIDENT_ID``: the voucher ledger for finance, over the API."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from pathlib import Path

from broadcaster.cli.api_client import download
from broadcaster.config import Settings


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    vouchers = sub.add_parser("vouchers", help="export an incident's vouchers")
    verbs = vouchers.add_subparsers(dest="verb", required=True, metavar="VERB")
    export = verbs.add_parser("export", help="every voucher of an incident (CSV or JSON Lines)")
    export.add_argument("id", metavar="INCIDENT_ID")
    export.add_argument("--format", choices=["csv", "jsonl"], default="csv")
    export.add_argument(
        "--output", "-o", type=Path, metavar="FILE", help="write here instead of stdout"
    )
    export.set_defaults(handler=_export)


def _export(args: argparse.Namespace, settings: Settings) -> int:
    path = f"/api/v1/incidents/{args.id}/vouchers?format={args.format}"
    if args.output is None:
        asyncio.run(download(settings, path, sys.stdout.buffer))
        sys.stdout.flush()
        return 0
    # written beside the target and renamed: a failed export leaves no half file behind
    directory = args.output.parent
    fd, temporary = tempfile.mkstemp(prefix=f".{args.output.name}.", dir=directory)
    try:
        with os.fdopen(fd, "wb") as sink:
            written = asyncio.run(download(settings, path, sink))
        os.replace(temporary, args.output)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    print(f"{args.output}: {written} bytes", file=sys.stderr)
    return 0
