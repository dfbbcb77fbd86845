"""Bearer-token authentication and role checks for the commander API."""

from __future__ import annotations

import hmac

from aiohttp import web

from broadcaster.adapters.token_store import Principal, Role, TokenStore
from broadcaster.errors import InputError
from broadcaster.typed_config import Secret

PRINCIPAL = web.RequestKey("principal", Principal)


class Unauthorized(InputError):
    status = 401
    code = "unauthorized"


class Forbidden(InputError):
    status = 403
    code = "forbidden"


async def authenticate(request: web.Request, tokens: TokenStore, bootstrap: Secret) -> Principal:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("missing bearer token: send Authorization: Bearer <token>")
    token = token.strip()
    if bootstrap and hmac.compare_digest(token.encode(), bootstrap.reveal().encode()):
        return Principal("bootstrap", Role.ADMIN)
    principal = await tokens.lookup(token)
    if principal is None:
        raise Unauthorized("unknown or revoked token")
    return principal


def require(principal: Principal, role: Role) -> None:
    if principal.role < role:
        raise Forbidden(
            f"needs the {role.name.lower()} role; {principal.name} is {principal.role.name.lower()}"
        )
