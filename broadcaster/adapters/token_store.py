"""API tokens: stored as SHA-256 hashes with a name and a role; the plain token is shown once."""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from enum import IntEnum

from broadcaster.adapters.keys import Keys
from broadcaster.adapters.redis_connection import Redis, as_text, awaited
from broadcaster.errors import Conflict, NotFound


class Role(IntEnum):
    VIEWER = 1
    COMMANDER = 2
    ADMIN = 3


@dataclass(frozen=True, slots=True)
class Principal:
    name: str
    role: Role


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class TokenStore:
    def __init__(self, redis: Redis, keys: Keys) -> None:
        self._redis = redis
        self._by_hash = f"{keys.prefix}:tokens"
        self._by_name = f"{keys.prefix}:tokens:names"

    async def create(self, name: str, role: Role) -> str:
        """A new random token for ``name``; only its hash is kept."""
        token = "obt_" + secrets.token_urlsafe(32)
        digest = token_hash(token)
        if not await awaited(self._redis.hsetnx(self._by_name, name, digest)):
            raise Conflict(f"a token named {name!r} exists; revoke it first")
        record = json.dumps({"name": name, "role": role.name.lower()})
        await awaited(self._redis.hset(self._by_hash, digest, record))
        return token

    async def revoke(self, name: str) -> None:
        digest = await awaited(self._redis.hget(self._by_name, name))
        if digest is None:
            raise NotFound(f"no token named {name!r}")
        pipe = self._redis.pipeline(transaction=True)
        pipe.hdel(self._by_hash, as_text(digest))
        pipe.hdel(self._by_name, name)
        await pipe.execute()

    async def lookup(self, token: str) -> Principal | None:
        raw = await awaited(self._redis.hget(self._by_hash, token_hash(token)))
        if raw is None:
            return None
        record = json.loads(raw)
        return Principal(record["name"], Role[record["role"].upper()])

    async def names(self) -> dict[str, str]:
        raw = await awaited(self._redis.hgetall(self._by_hash))
        return {json.loads(v)["name"]: json.loads(v)["role"] for v in raw.values()}
