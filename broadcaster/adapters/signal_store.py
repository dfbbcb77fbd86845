"""Correlation groups and received signals in Redis.

A delivery is recorded in one optimistic transaction (WATCH on its dedup key and on every
group it touches, then MULTI): the dedup key, the changed groups, their signal logs and their
place in the evaluation schedule are written together or not at all, so a crash or a refused
body never leaves half a delivery behind. Two deliveries touching one group at once simply
retry. Groups that are over (nothing fires, no open incident, cooldown passed) expire after
the signal retention; the rest stay in ``P:grps`` with their next evaluation time.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from redis.exceptions import WatchError

from broadcaster.adapters.keys import Keys
from broadcaster.adapters.redis_connection import Redis, as_text, awaited
from broadcaster.domain.correlation import Group
from broadcaster.errors import BroadcasterError

LOG_LIMIT = 200  # signals kept per group (newest first)
RAW_LIMIT = 16 * 1024  # bytes of a sender's object kept with its signal


class StoreBusy(BroadcasterError):
    """Writers kept colliding on the same groups: worth a retry by the sender."""


@dataclass
class Changes:
    """What a delivery does to its groups: new states and the signals to log."""

    groups: dict[str, Group] = field(default_factory=dict)
    logs: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


Apply = Callable[[Mapping[str, Group | None]], Changes]


class SignalStore:
    def __init__(self, redis: Redis, keys: Keys, retention: timedelta) -> None:
        self._redis = redis
        self._keys = keys
        self._retention = int(retention.total_seconds())

    async def record(
        self, seen: tuple[str, str] | None, hashes: Sequence[str], apply: Apply, now: datetime
    ) -> Changes | None:
        """Apply a delivery to its groups atomically; None if ``seen`` was already recorded.

        ``seen`` is (source, delivery key) for senders that re-send whole deliveries.
        """
        k = self._keys
        seen_key = k.seen(*seen) if seen else None
        groups = [k.signal_group(h) for h in hashes]
        watched = groups + ([seen_key] if seen_key else [])
        if not watched:
            return apply({})
        async with self._redis.pipeline(transaction=True) as pipe:
            for _ in range(20):
                try:
                    await pipe.watch(*watched)
                    if seen_key and await pipe.exists(seen_key):
                        return None
                    raws = await pipe.mget(groups) if groups else []
                    changes = apply(dict(zip(hashes, map(_group, raws), strict=True)))
                    pipe.multi()  # type: ignore[no-untyped-call]
                    if seen_key:
                        pipe.set(seen_key, b"1", ex=self._retention)
                    self._write(pipe, changes, now)
                    await pipe.execute()
                    return changes
                except WatchError:
                    continue
        raise StoreBusy("signals for these groups keep changing; retry")

    def _write(self, pipe: Any, changes: Changes, now: datetime) -> None:
        k = self._keys
        for group_hash, group in changes.groups.items():
            pipe.set(k.signal_group(group_hash), _dump(group.to_dict()))
            pipe.zadd(k.signal_groups, {group_hash: now.timestamp()})
        for group_hash, entries in changes.logs.items():
            log = k.signal_log(group_hash)
            pipe.lpush(log, *(_dump(_bounded(entry)) for entry in entries))
            pipe.ltrim(log, 0, LOG_LIMIT - 1)
            pipe.expire(log, self._retention)

    async def load(self, group_hash: str) -> tuple[Group, bytes] | None:
        """The group and its stored form (the ``expected`` of a later ``replace``)."""
        raw = await awaited(self._redis.get(self._keys.signal_group(group_hash)))
        return None if raw is None else (Group.from_dict(json.loads(raw)), raw)

    async def replace(self, group_hash: str, expected: bytes, group: Group) -> bool:
        """Compare-and-set: store ``group`` only if the stored form is still ``expected``."""
        key = self._keys.signal_group(group_hash)
        return await self._if_unchanged(
            key, expected, lambda pipe: pipe.set(key, _dump(group.to_dict()))
        )

    async def schedule(
        self, group_hash: str, expected: bytes, due: datetime | None, idle: bool
    ) -> bool:
        """When to look at the group again, if it is still as evaluated (else False).

        An idle group leaves the schedule and is forgotten after the retention. The check
        matters: a signal that arrived meanwhile must not lose its timer, nor get a TTL.
        """
        k = self._keys
        key = k.signal_group(group_hash)

        def write(pipe: Any) -> None:
            if idle:
                pipe.zrem(k.signal_groups, group_hash)
                pipe.expire(key, self._retention)
            else:
                pipe.zadd(k.signal_groups, {group_hash: due.timestamp() if due else math.inf})

        return await self._if_unchanged(key, expected, write)

    async def _if_unchanged(self, key: str, expected: bytes, write: Callable[[Any], Any]) -> bool:
        async with self._redis.pipeline(transaction=True) as pipe:
            try:
                await pipe.watch(key)
                if await pipe.get(key) != expected:
                    return False
                pipe.multi()  # type: ignore[no-untyped-call]
                write(pipe)
                await pipe.execute()
            except WatchError:
                return False
        return True

    async def due(self, now: datetime, limit: int = 500) -> list[str]:
        raw = await awaited(
            self._redis.zrangebyscore(
                self._keys.signal_groups, "-inf", now.timestamp(), start=0, num=limit
            )
        )
        return [as_text(h) for h in raw]

    async def tracked(self) -> list[str]:
        """Every group that is not over (the reconciliation polls look at these)."""
        raw = await awaited(self._redis.zrange(self._keys.signal_groups, 0, -1))
        return [as_text(h) for h in raw]

    async def link(self, incident_id: str, group_hash: str) -> None:
        await awaited(self._redis.set(self._keys.incident_group(incident_id), group_hash))

    async def signals_of(self, incident_id: str, limit: int = 50) -> list[dict[str, Any]]:
        """The newest signals of the group an incident came from ([] for a manual one)."""
        group_hash = await awaited(self._redis.get(self._keys.incident_group(incident_id)))
        if group_hash is None:
            return []
        log = self._keys.signal_log(as_text(group_hash))
        return [json.loads(e) for e in await awaited(self._redis.lrange(log, 0, limit - 1))]

    async def lease(self, name: str, period: timedelta) -> bool:
        """True for one caller per ``period`` across every worker (periodic chores)."""
        seconds = max(1, int(period.total_seconds()))
        return bool(await self._redis.set(self._keys.lease(name), b"1", nx=True, ex=seconds))


def _group(raw: bytes | None) -> Group | None:
    return None if raw is None else Group.from_dict(json.loads(raw))


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _bounded(entry: dict[str, Any]) -> dict[str, Any]:
    """Keep the sender's object unless it is large (then only its size)."""
    raw = entry.get("raw")
    if raw is not None and len(_dump(raw)) > RAW_LIMIT:
        return {**entry, "raw": {"omitted_bytes": len(_dump(raw))}}
    return entry
