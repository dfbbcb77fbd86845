"""``broadcaster`` / ``python -m broadcaster``: load settings, set up logging, run a command.

Exit status: 0 success, 1 the operation failed, 2 bad usage or bad input (CONTRACT.md).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from broadcaster import __version__
from broadcaster.cli import commands
from broadcaster.cli.output import error
from broadcaster.config import load_settings
from broadcaster.errors import BroadcasterError, ConfigError, InputError
from broadcaster.logs import setup_logging


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="broadcaster",
        description="Proactive outage notifications on WhatsApp.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument(
        "--config",
        type=Path,
        default=None,
        help="configuration file (default: $BROADCASTER_CONFIG or ./config.toml)",
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for register in commands():
        register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings(args.config, os.environ)
    except ConfigError as exc:
        for problem in exc.problems:
            print(f"config: {problem}", file=sys.stderr)
        return 2
    setup_logging(
        settings.log.level,
        getattr(args, "log_format", None) or settings.log.format,
        settings.secrets(),
    )
    try:
        result: int = args.handler(args, settings)
    except InputError as exc:
        error(exc.message)
        for detail in exc.details:
            print(f"  {detail}", file=sys.stderr)
        return 2
    except BroadcasterError as exc:
        error(str(exc))
        return 1
    except KeyboardInterrupt:
        return 130
    return result


if __name__ == "__main__":
    sys.exit(main())
