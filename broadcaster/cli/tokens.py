"""``broadcaster tokens create|revoke|list``: API tokens, stored hashed in Redis."""

from __future__ import annotations

import argparse
import asyncio

from broadcaster.adapters.keys import Keys
from broadcaster.adapters.redis_connection import connect
from broadcaster.adapters.token_store import Role, TokenStore
from broadcaster.cli.output import table
from broadcaster.config import Settings


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    tokens = sub.add_parser("tokens", help="create, revoke or list API tokens")
    verbs = tokens.add_subparsers(dest="verb", required=True, metavar="VERB")
    create = verbs.add_parser("create", help="print a new token (shown once)")
    create.add_argument("--name", required=True)
    create.add_argument("--role", choices=["viewer", "commander", "admin"], required=True)
    create.set_defaults(handler=_create)
    revoke = verbs.add_parser("revoke", help="revoke a token by name")
    revoke.add_argument("name")
    revoke.set_defaults(handler=_revoke)
    listing = verbs.add_parser("list", help="token names and roles")
    listing.set_defaults(handler=_list)


async def _with_store(settings: Settings, action: str, *args: str) -> object:
    redis = connect(settings.redis)
    try:
        store = TokenStore(redis, Keys(settings.redis.key_prefix))
        if action == "create":
            return await store.create(args[0], Role[args[1].upper()])
        if action == "revoke":
            await store.revoke(args[0])
            return None
        return await store.names()
    finally:
        await redis.aclose()


def _create(args: argparse.Namespace, settings: Settings) -> int:
    print(asyncio.run(_with_store(settings, "create", args.name, args.role)))
    return 0


def _revoke(args: argparse.Namespace, settings: Settings) -> int:
    asyncio.run(_with_store(settings, "revoke", args.name))
    print(f"revoked {args.name}")
    return 0


def _list(args: argparse.Namespace, settings: Settings) -> int:
    names = asyncio.run(_with_store(settings, "list"))
    assert isinstance(names, dict)
    table(["name", "role"], sorted(names.items()))
    return 0
