"""Audience resolution: a segment rule becomes BITOPs over the directory's bitmaps.

No scan of customers: the rule compiles to AND/OR/XOR over attribute bitmaps inside Redis;
only the final per-tier bitmaps travel to Python, where they are decoded into ordinals in
tier order, split into send list and holdout, and written back as packed uint32 lists that
broadcast chunks read with GETRANGE.
"""

from __future__ import annotations

import hashlib
import struct
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from redis.asyncio.client import Pipeline

from broadcaster.adapters.keys import Keys
from broadcaster.adapters.redis_connection import Redis, awaited
from broadcaster.domain.customers import (
    CALLING_CODE_ATTRIBUTE,
    LANGUAGE_ATTRIBUTE,
    TIER_ATTRIBUTE,
)
from broadcaster.domain.segments import AllOf, AnyOf, Equals, Not, Prefix, Rule

SCRATCH_TTL_SECONDS = 120
ORDINAL = struct.Struct(">I")
# byte value -> bit offsets set in it, most significant bit first (Redis SETBIT order)
_BITS = tuple(tuple(i for i in range(8) if byte & (0x80 >> i)) for byte in range(256))


def decode_bitmap(data: bytes) -> list[int]:
    """Ordinals whose bit is set in a Redis bitmap string, ascending."""
    out: list[int] = []
    extend = out.extend
    for index, byte in enumerate(data):
        if byte:
            base = index * 8
            extend(base + bit for bit in _BITS[byte])
    return out


def pack(ordinals: Sequence[int]) -> bytes:
    return struct.pack(f">{len(ordinals)}I", *ordinals)


def unpack(data: bytes) -> list[int]:
    return list(struct.unpack(f">{len(data) // 4}I", data))


def in_holdout(ordinal: int, seed: int, per_million: int) -> bool:
    """Deterministic, stable per (customer, incident): a cheap integer mix of ordinal and seed."""
    x = (ordinal * 0x9E3779B1 + seed) & 0xFFFFFFFFFFFFFFFF
    x ^= x >> 29
    x = (x * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
    x ^= x >> 32
    return x % 1_000_000 < per_million


def holdout_seed(incident_id: str) -> int:
    return int.from_bytes(hashlib.blake2b(incident_id.encode(), digest_size=8).digest(), "big")


@dataclass(frozen=True, slots=True)
class AudienceSummary:
    """Counts of one resolution. ``affected`` ignores consent; ``eligible`` honours it."""

    affected: int
    eligible: int
    notified: int
    holdout: int
    by_tier: dict[str, int] = field(default_factory=dict)
    by_language: dict[str, int] = field(default_factory=dict)
    by_calling_code: dict[str, int] = field(default_factory=dict)
    sample: list[int] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return {
            "affected": self.affected,
            "eligible": self.eligible,
            "notified": self.notified,
            "holdout": self.holdout,
            "by_tier": self.by_tier,
            "by_language": self.by_language,
            "by_calling_code": self.by_calling_code,
        }


@dataclass(frozen=True, slots=True)
class Destination:
    """Where a resolution writes its results (all optional: a preview writes nothing).

    Written keys carry the scratch TTL: the caller renames them into place atomically with
    whatever records the resolution (a broadcast), so a crash in between leaves nothing.
    """

    send_list: str | None = None
    holdout_list: str | None = None
    eligible: str | None = None  # copy of the eligible bitmap, to extend "seen" later
    exclude: str | None = None  # bitmap of customers already selected (a widened scope)


class Audiences:
    def __init__(self, redis: Redis, keys: Keys, tiers: Sequence[str]) -> None:
        self._redis = redis
        self._keys = keys
        self._tiers = list(tiers)

    async def resolve(
        self,
        rule: Rule,
        *,
        holdout_per_million: int = 0,
        seed: int = 0,
        destination: Destination | None = None,
        sample_size: int = 0,
    ) -> AudienceSummary:
        """Resolve ``rule``: counts, tier-ordered send list and holdout (written if asked)."""
        destination = destination or Destination()
        scratch = _Scratch(self._keys)
        try:
            selected = await self._compile(rule, scratch)
            eligible = scratch.new()
            pipe = self._redis.pipeline(transaction=False)
            pipe.bitop("AND", eligible, selected, self._keys.opted_in)
            _subtract(pipe, eligible, self._keys.opted_out, scratch.new())
            if destination.exclude:
                _subtract(pipe, eligible, destination.exclude, scratch.new())
            scratch.expire(pipe)
            pipe.bitcount(selected)
            pipe.bitcount(eligible)
            affected, count = (await pipe.execute())[-2:]
            by_tier, ordered = await self._tier_order(eligible, scratch)
            by_language = await self._counts(eligible, LANGUAGE_ATTRIBUTE, scratch)
            by_calling_code = await self._counts(eligible, CALLING_CODE_ATTRIBUTE, scratch)
            send, held = _split(ordered, seed, holdout_per_million)
            await self._write(destination, eligible, send, held)
        finally:
            await scratch.drop(self._redis)
        return AudienceSummary(
            affected=int(affected),
            eligible=int(count),
            notified=len(send),
            holdout=len(held),
            by_tier=by_tier,
            by_language=by_language,
            by_calling_code=by_calling_code,
            sample=send[:sample_size],
        )

    async def _compile(self, rule: Rule, scratch: _Scratch) -> str:
        match rule:
            case Equals(attribute, values):
                keys = [self._keys.index(attribute, v) for v in values]
                return await self._combine("OR", keys, scratch)
            case Prefix(attribute, prefixes):
                members = await awaited(self._redis.smembers(self._keys.values(attribute)))
                chosen = [v.decode() for v in members if v.decode().startswith(prefixes)]
                keys = [self._keys.index(attribute, v) for v in sorted(chosen)]
                return await self._combine("OR", keys, scratch)
            case AllOf(rules):
                parts = [await self._compile(r, scratch) for r in rules]
                return await self._combine("AND", parts or [self._keys.everyone], scratch)
            case AnyOf(rules):
                parts = [await self._compile(r, scratch) for r in rules]
                return await self._combine("OR", parts, scratch)
            case Not(inner):
                part = await self._compile(inner, scratch)
                out = scratch.new()
                pipe = self._redis.pipeline(transaction=False)
                pipe.copy(self._keys.everyone, out)
                _subtract(pipe, out, part, scratch.new())
                scratch.expire(pipe)
                await pipe.execute()
                return out
        raise TypeError(f"not a rule: {rule!r}")  # pragma: no cover - exhaustive over Rule

    async def _combine(self, op: str, keys: list[str], scratch: _Scratch) -> str:
        if len(keys) == 1:
            return keys[0]
        out = scratch.new()
        if keys:
            pipe = self._redis.pipeline(transaction=False)
            pipe.bitop(op, out, *keys)
            scratch.expire(pipe)
            await pipe.execute()
        return out

    async def _tier_order(
        self, eligible: str, scratch: _Scratch
    ) -> tuple[dict[str, int], list[int]]:
        """Eligible ordinals, highest tier first; unknown tiers last."""
        pipe = self._redis.pipeline(transaction=False)
        rest = scratch.new()
        pipe.copy(eligible, rest)
        parts = []
        for tier in self._tiers:
            part = scratch.new()
            parts.append(part)
            pipe.bitop("AND", part, eligible, self._keys.index(TIER_ATTRIBUTE, tier))
            _subtract(pipe, rest, part, scratch.new())
        scratch.expire(pipe)
        await pipe.execute()
        pipe = self._redis.pipeline(transaction=False)
        for key in [*parts, rest]:
            pipe.get(key)
        results = await pipe.execute()
        by_tier: dict[str, int] = {}
        ordered: list[int] = []
        for name, data in zip([*self._tiers, "other"], results, strict=True):
            members = decode_bitmap(data or b"")
            if members or name != "other":
                by_tier[name] = len(members)
            ordered += members
        return by_tier, ordered

    async def _counts(self, eligible: str, attribute: str, scratch: _Scratch) -> dict[str, int]:
        members = await awaited(self._redis.smembers(self._keys.values(attribute)))
        values = sorted(v.decode() for v in members)
        if not values:
            return {}
        pipe = self._redis.pipeline(transaction=False)
        for value in values:
            part = scratch.new()
            pipe.bitop("AND", part, eligible, self._keys.index(attribute, value))
            pipe.bitcount(part)
            pipe.delete(part)
        counts = (await pipe.execute())[1::3]
        return {v: int(c) for v, c in zip(values, counts, strict=True) if c}

    async def _write(
        self, destination: Destination, eligible: str, send: list[int], held: list[int]
    ) -> None:
        pipe = self._redis.pipeline(transaction=True)
        ttl = SCRATCH_TTL_SECONDS
        if destination.send_list:
            pipe.set(destination.send_list, pack(send), ex=ttl)
        if destination.holdout_list:
            pipe.set(destination.holdout_list, pack(held), ex=ttl)
        if destination.eligible:
            pipe.copy(eligible, destination.eligible, replace=True)
            pipe.expire(destination.eligible, ttl)
        await pipe.execute()


def _subtract(pipe: Pipeline, target: str, remove: str, scratch_key: str) -> None:
    """target := target minus remove, as (target AND remove) XOR target; no BITOP NOT sizing."""
    pipe.bitop("AND", scratch_key, target, remove)
    pipe.bitop("XOR", target, target, scratch_key)


def _split(ordered: list[int], seed: int, per_million: int) -> tuple[list[int], list[int]]:
    if per_million <= 0:
        return ordered, []
    send: list[int] = []
    held: list[int] = []
    for ordinal in ordered:
        (held if in_holdout(ordinal, seed, per_million) else send).append(ordinal)
    return send, held


class _Scratch:
    """Unique temporary keys with a TTL, deleted when the resolution ends."""

    def __init__(self, keys: Keys) -> None:
        self._keys = keys
        self._run = uuid.uuid4().hex[:12]
        self.created: list[str] = []
        self._expiring = 0

    def expire(self, pipe: Pipeline) -> None:
        """Queue a TTL on every key made since the last call (a crash must not leak them)."""
        for key in self.created[self._expiring :]:
            pipe.expire(key, SCRATCH_TTL_SECONDS)
        self._expiring = len(self.created)

    def new(self) -> str:
        key = self._keys.scratch(f"{self._run}:{len(self.created)}")
        self.created.append(key)
        return key

    async def drop(self, redis: Redis) -> None:
        if self.created:
            await redis.delete(*self.created)


def iter_chunks(total: int, size: int) -> Iterator[tuple[int, int]]:
    """(start, stop) index ranges covering ``total`` items in chunks of ``size``."""
    for start in range(0, total, size):
        yield start, min(start + size, total)
