"""``broadcaster templates check``: our template files, and the account's approved templates."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

import aiohttp

from broadcaster.adapters.template_files import load_catalog
from broadcaster.adapters.whatsapp import CloudApi
from broadcaster.cli.output import error
from broadcaster.config import Settings
from broadcaster.domain.templates import MessageTemplate
from broadcaster.errors import BroadcasterError, SendError
from broadcaster.rendering import Renderer
from broadcaster.services.template_check import (
    check_against_account,
    check_offline,
    required_kinds,
)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    templates = sub.add_parser("templates", help="message templates")
    verbs = templates.add_subparsers(dest="verb", required=True, metavar="VERB")
    check = verbs.add_parser(
        "check", help="validate templates/ (and the account's approved templates if configured)"
    )
    check.add_argument("--offline", action="store_true", help="do not ask the WhatsApp account")
    check.set_defaults(handler=run_check)


def run_check(args: argparse.Namespace, settings: Settings) -> int:
    catalog, problems = load_catalog(Path(settings.paths.templates))
    renderer = Renderer(catalog, settings.app.default_language)
    problems += check_offline(
        catalog,
        renderer,
        settings.app.default_language,
        settings.app.business_name,
        required_kinds(settings.compensation.enabled, settings.followup.enabled),
    )
    wa = settings.whatsapp
    online = not args.offline and bool(wa.access_token) and bool(wa.waba_id)
    if online and not problems:
        problems += asyncio.run(_account_problems(settings, catalog.all()))
    for problem in problems:
        error(problem)
    if problems:
        return 2
    where = "files and account" if online else "files only (no token or waba_id configured)"
    print(f"{len(catalog.all())} templates OK ({where})")
    return 0


async def _account_problems(settings: Settings, templates: list[MessageTemplate]) -> list[str]:
    wa = settings.whatsapp
    async with aiohttp.ClientSession() as session:
        api = CloudApi(session, wa.api_base_url, wa.api_version, wa.access_token)
        try:
            approved = await api.message_templates(wa.waba_id)
        except SendError as exc:
            raise BroadcasterError(f"cannot list the account's templates: {exc}") from exc
    return check_against_account(templates, approved)
