"""``broadcaster sending status|resume``: the account-wide sending hold, over the API."""

from __future__ import annotations

import argparse
import asyncio
import json
from typing import Any

from broadcaster.cli.api_client import call
from broadcaster.config import Settings


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sending = sub.add_parser("sending", help="show or lift the account-wide sending hold")
    verbs = sending.add_subparsers(dest="verb", required=True, metavar="VERB")
    status = verbs.add_parser("status", help="is all sending held, why and since when")
    status.add_argument("--json", action="store_true", help="the API's answer as JSON")
    status.set_defaults(handler=_status)
    resume = verbs.add_parser(
        "resume", help="lift the hold once its cause (payment, account, number) is fixed"
    )
    resume.set_defaults(handler=_resume)


def describe(view: dict[str, Any]) -> str:
    hold = view.get("hold")
    if not hold:
        return "sending: not held"
    how = (
        "lifts by itself once the token works again"
        if hold["lifted_by"] == "probe"
        else "an operator lifts it: broadcaster sending resume"
    )
    return f"sending: HELD since {hold['since']}, {hold['reason']} ({hold['code']}); {how}"


def _status(args: argparse.Namespace, settings: Settings) -> int:
    view = asyncio.run(call(settings, "GET", "/api/v1/sending"))
    print(json.dumps(view, indent=2) if args.json else describe(view))
    return 0


def _resume(args: argparse.Namespace, settings: Settings) -> int:
    asyncio.run(call(settings, "POST", "/api/v1/sending/resume", {}))
    print("sending resumed: held broadcasts carry on at their next run")
    return 0
