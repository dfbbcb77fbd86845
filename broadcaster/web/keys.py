"""Typed keys for what the application and requests carry."""

from __future__ import annotations

from aiohttp import web

from broadcaster.adapters.token_store import TokenStore
from broadcaster.bootstrap import Deps

DEPS = web.AppKey("deps", Deps)
TOKENS = web.AppKey("tokens", TokenStore)
