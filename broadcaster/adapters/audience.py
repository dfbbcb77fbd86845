"""Audience resolution: a segment rule becomes BITOPs over the directory's bitmaps.

No scan of customers: the rule compiles to AND/OR/XOR over attribute bitmaps inside Redis;
the eligible set is split by tier there too. Only then do bitmaps travel to Python, one window
at a time, to be decoded into ordinals in tier order, split into send list and holdout, and
appended to packed uint32 lists that broadcast chunks read with GETRANGE. Memory stays at one
window (64 Ki ordinals) whatever the audience size.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from broadcaster.adapters.bitmaps import (
    ORDINAL,
    SCRATCH_TTL_SECONDS,
    Scratch,
    decode_bitmap,
    pack,
    subtract,
    unpack,
)
from broadcaster.adapters.keys import Keys
from broadcaster.adapters.redis_connection import Redis, awaited
from broadcaster.domain.customers import (
    CALLING_CODE_ATTRIBUTE,
    LANGUAGE_ATTRIBUTE,
    TIER_ATTRIBUTE,
)
from broadcaster.domain.holdout import holdout_seed, in_holdout, split_holdout
from broadcaster.domain.segments import AllOf, AnyOf, Equals, Not, Prefix, Rule

# re-exported: planning and the broadcast store use them from here
__all__ = ["ORDINAL", "AudienceSummary", "Audiences", "Destination", "holdout_seed"]
__all__ += ["decode_bitmap", "in_holdout", "pack", "unpack"]

WINDOW_BYTES = 8192  # bitmap bytes decoded at a time: 65,536 ordinals


@dataclass(frozen=True, slots=True)
class AudienceSummary:
    """Counts of one resolution. ``affected`` ignores consent; ``eligible`` honours it.

    ``overlap``: eligible customers also in the ``compare_with`` bitmap (an incident's "seen").
    """

    affected: int
    eligible: int
    notified: int
    holdout: int
    by_tier: dict[str, int] = field(default_factory=dict)
    by_language: dict[str, int] = field(default_factory=dict)
    by_calling_code: dict[str, int] = field(default_factory=dict)
    sample: list[int] = field(default_factory=list)
    overlap: int = 0

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


@dataclass
class _Emitted:
    decoded: bool
    notified: int = 0
    holdout: int = 0
    sample: list[int] = field(default_factory=list)


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
        compare_with: str | None = None,
    ) -> AudienceSummary:
        """Resolve ``rule``: counts, tier-ordered send list and holdout (written if asked)."""
        destination = destination or Destination()
        scratch = Scratch(self._keys)
        try:
            selected = await self._compile(rule, scratch)
            eligible = scratch.new()
            pipe = self._redis.pipeline(transaction=False)
            pipe.bitop("AND", eligible, selected, self._keys.opted_in)
            subtract(pipe, eligible, self._keys.opted_out, scratch.new())
            if destination.exclude:
                subtract(pipe, eligible, destination.exclude, scratch.new())
            if destination.eligible:
                pipe.copy(eligible, destination.eligible, replace=True)
                pipe.expire(destination.eligible, SCRATCH_TTL_SECONDS)
            overlap = scratch.new()
            if compare_with:
                pipe.bitop("AND", overlap, eligible, compare_with)
            scratch.expire(pipe)
            pipe.bitcount(selected)
            pipe.bitcount(overlap)
            affected, overlapping = (await pipe.execute())[-2:]
            parts, by_tier = await self._by_tier(eligible, scratch)
            by_language = await self._counts(eligible, LANGUAGE_ATTRIBUTE, scratch)
            by_calling_code = await self._counts(eligible, CALLING_CODE_ATTRIBUTE, scratch)
            emitted = await self._emit(parts, destination, (seed, holdout_per_million), sample_size)
            if not emitted.decoded:
                emitted.notified = sum(by_tier.values())
        finally:
            await scratch.drop(self._redis)
        return AudienceSummary(
            affected=int(affected),
            eligible=sum(by_tier.values()),
            notified=emitted.notified,
            holdout=emitted.holdout,
            by_tier=by_tier,
            by_language=by_language,
            by_calling_code=by_calling_code,
            sample=emitted.sample,
            overlap=int(overlapping),
        )

    async def _compile(self, rule: Rule, scratch: Scratch) -> str:
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
                subtract(pipe, out, part, scratch.new())
                scratch.expire(pipe)
                await pipe.execute()
                return out
        raise TypeError(f"not a rule: {rule!r}")  # pragma: no cover - exhaustive over Rule

    async def _combine(self, op: str, keys: list[str], scratch: Scratch) -> str:
        if len(keys) == 1:
            return keys[0]
        out = scratch.new()
        if keys:
            pipe = self._redis.pipeline(transaction=False)
            pipe.bitop(op, out, *keys)
            scratch.expire(pipe)
            await pipe.execute()
        return out

    async def _by_tier(self, eligible: str, scratch: Scratch) -> tuple[list[str], dict[str, int]]:
        """One bitmap per configured tier, highest first, then customers of any other tier."""
        pipe = self._redis.pipeline(transaction=False)
        rest = scratch.new()
        pipe.copy(eligible, rest)
        parts = []
        for tier in self._tiers:
            part = scratch.new()
            parts.append(part)
            pipe.bitop("AND", part, eligible, self._keys.index(TIER_ATTRIBUTE, tier))
            subtract(pipe, rest, part, scratch.new())
        parts.append(rest)
        scratch.expire(pipe)
        for part in parts:
            pipe.bitcount(part)
        counts = (await pipe.execute())[-len(parts) :]
        by_tier = {tier: int(n) for tier, n in zip(self._tiers, counts, strict=False)}
        if counts[-1]:
            by_tier["other"] = int(counts[-1])
        return parts, by_tier

    async def _emit(
        self,
        parts: list[str],
        destination: Destination,
        holdout: tuple[int, int],
        sample_size: int,
    ) -> _Emitted:
        """Decode the tier bitmaps window by window, in tier order; append the packed lists.

        A preview without holdout decodes only as far as its sample needs."""
        seed, per_million = holdout
        lists = [destination.send_list, destination.holdout_list]
        pipe = self._redis.pipeline(transaction=False)
        for key in lists:
            if key:
                pipe.set(key, b"", ex=SCRATCH_TTL_SECONDS)
        out = _Emitted(decoded=any(lists) or per_million > 0)
        for key, start in await self._windows(parts):
            if not out.decoded and len(out.sample) >= sample_size:
                break
            pipe.getrange(key, start, start + WINDOW_BYTES - 1)
            window = (await pipe.execute())[-1]
            pipe = self._redis.pipeline(transaction=False)
            send, held = split_holdout(decode_bitmap(window, start * 8), seed, per_million)
            out.notified += len(send)
            out.holdout += len(held)
            out.sample += send[: max(0, sample_size - len(out.sample))]
            for target, ordinals in zip(lists, (send, held), strict=True):
                if target and ordinals:
                    pipe.append(target, pack(ordinals))
        await pipe.execute()
        return out

    async def _windows(self, parts: list[str]) -> list[tuple[str, int]]:
        pipe = self._redis.pipeline(transaction=False)
        for part in parts:
            pipe.strlen(part)
        lengths = await pipe.execute()
        return [
            (part, start)
            for part, length in zip(parts, lengths, strict=True)
            for start in range(0, int(length), WINDOW_BYTES)
        ]

    async def _counts(self, eligible: str, attribute: str, scratch: Scratch) -> dict[str, int]:
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
