"""Bearer-token authentication and role checks for the commander API."""

from __future__ import annotations

import hmac

from aiohttp import web

from broadcaster.adapters.token_store import Principal, Role, TokenStore
from broadcaster.config import ApiSettings
from broadcaster.errors import InputError

PRINCIPAL = web.RequestKey("principal", Principal)


class Unauthorized(InputError):
    status = 401
    code = "unauthorized"


class Forbidden(InputError):
    status = 403
    code = "forbidden"


def configured(token: str, api: ApiSettings) -> Principal | None:
    """The bootstrap token or a token from ``[api.tokens]`` (each compared in constant time)."""
    found = None
    bootstrap = api.bootstrap_token.reveal()
    if bootstrap and hmac.compare_digest(token.encode(), bootstrap.encode()):
        found = Principal("bootstrap", Role.ADMIN)
    for name, entry in sorted(api.tokens.items()):
        if hmac.compare_digest(token.encode(), entry.token.reveal().encode()):
            found = found or Principal(name, Role[entry.role.upper()])
    return found


async def authenticate(request: web.Request, tokens: TokenStore, api: ApiSettings) -> Principal:
    """The principal behind the bearer token: from config first, else ``tokens create``'s."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("missing bearer token: send Authorization: Bearer <token>")
    token = token.strip()
    principal = configured(token, api) or await tokens.lookup(token)
    if principal is None:
        raise Unauthorized("unknown or revoked token")
    return principal


def require(principal: Principal, role: Role) -> None:
    if principal.role < role:
        raise Forbidden(
            f"needs the {role.name.lower()} role; {principal.name} is {principal.role.name.lower()}"
        )
