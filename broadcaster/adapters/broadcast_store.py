"""Broadcasts in Redis: meta, the ordered recipient list and one state byte per recipient.

A broadcast's recipients are a packed list of customer ordinals in send order (tier first).
Chunk ``k`` is a byte range of that list, of the state string and of the attempt string, so a
chunk job reads its whole view in one round trip. Every state change goes through the Lua
scripts ``claim`` and ``transition``, which also keep the counts by state exact.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from redis.exceptions import WatchError

from broadcaster.adapters.audience import ORDINAL, unpack
from broadcaster.adapters.keys import Keys
from broadcaster.adapters.lua import script
from broadcaster.adapters.redis_connection import Redis, as_text, awaited
from broadcaster.domain.deliveries import CLAIMABLE, State, Tally, source_mask
from broadcaster.domain.templates import Kind
from broadcaster.errors import NotFound

RATE_WINDOW_SECONDS = 60
CLAIMABLE_MASK = sum(1 << s for s in CLAIMABLE)
SOURCE_MASKS = {state: source_mask(state) for state in State}
STATES = tuple(sorted(State))  # by value: STATES[3] is State(3), without Enum's lookup


def _check_packed(packed: str, rows: int, fields: int) -> None:
    """The scripts split a packed argument on the unit and record separators (0x1F, 0x1E).

    Keys and values never hold them (digits, ids, key names); if one ever did, the claim or
    move is refused here rather than misread there.
    """
    if packed.count("\x1e") != rows or packed.count("\x1f") != rows * (fields - 1):
        raise ValueError("a key or value holds a field separator (0x1E or 0x1F)")


class BroadcastStatus(StrEnum):
    RUNNING = "running"
    PAUSED = "paused"
    CANCELLED = "cancelled"
    DONE = "done"


@dataclass(frozen=True, slots=True)
class Broadcast:
    id: str
    incident_id: str
    kind: Kind
    status: BroadcastStatus
    total: int
    chunk_size: int
    created_at: str
    context: dict[str, Any] = field(default_factory=dict)
    reason: str = ""
    generation: int = 0
    estimate: dict[str, Any] = field(default_factory=dict)

    @property
    def chunks(self) -> int:
        return (self.total + self.chunk_size - 1) // self.chunk_size

    def chunk_range(self, chunk: int) -> tuple[int, int]:
        start = chunk * self.chunk_size
        return start, min(start + self.chunk_size, self.total)


@dataclass(frozen=True, slots=True)
class AudienceLists:
    """Scratch keys written by audience resolution for one broadcast."""

    send_list: str
    holdout_list: str
    eligible: str
    seen: str = ""  # the incident's bitmap the eligible customers are added to ("": none)


@dataclass(frozen=True, slots=True)
class ChunkView:
    start: int
    ordinals: list[int]
    states: list[State]
    attempts: list[int]
    due_ms: dict[int, int]  # absolute index -> deadline, for timed states


@dataclass(frozen=True, slots=True)
class Claim:
    index: int
    pair_key: str
    member: str
    cadence_key: str = ""  # the customer's cadence record, updated by the claim


@dataclass(frozen=True, slots=True)
class Move:
    """One requested transition; ``attempt_rule``: 0 any, 1 exactly ``attempt``, 2 ≥ it."""

    index: int
    target: State
    attempt: int = 0
    attempt_rule: int = 0
    due_ms: int = 0
    charge: float = 0.0  # what Meta charges once this message first counts as delivered


class BroadcastStore:
    def __init__(self, redis: Redis, keys: Keys) -> None:
        self._redis = redis
        self._keys = keys
        self._claim = script(redis, "claim")
        self._categories: dict[str, str] = {}
        self._transition = script(redis, "transition")

    def _state_keys(self, broadcast_id: str) -> list[str]:
        k = self._keys
        return [
            k.states(broadcast_id),
            k.attempts(broadcast_id),
            k.counts(broadcast_id),
            k.due(broadcast_id),
        ]

    async def create(self, broadcast: Broadcast, lists: AudienceLists | None = None) -> bool:
        """Create the broadcast once (idempotent: False if it already exists).

        ``lists`` name the scratch keys audience resolution wrote; they are moved into the
        broadcast in the same transaction, so the lists, the meta and the incident's "seen"
        bitmap change together or not at all.
        """
        k = self._keys
        meta = {
            "id": broadcast.id,
            "incident_id": broadcast.incident_id,
            "kind": broadcast.kind.value,
            "status": broadcast.status.value,
            "total": broadcast.total,
            "chunk_size": broadcast.chunk_size,
            "created_at": broadcast.created_at,
            "context": json.dumps(broadcast.context, ensure_ascii=False, default=str),
            "reason": broadcast.reason,
            "generation": broadcast.generation,
            "estimate": json.dumps(broadcast.estimate),
        }
        async with self._redis.pipeline(transaction=True) as pipe:
            await pipe.watch(k.broadcast(broadcast.id))
            if await pipe.exists(k.broadcast(broadcast.id)):
                return False
            pipe.multi()  # type: ignore[no-untyped-call]
            if lists is not None:
                pipe.rename(lists.send_list, k.recipients(broadcast.id))
                pipe.persist(k.recipients(broadcast.id))
                pipe.rename(lists.holdout_list, k.held(broadcast.id))
                pipe.persist(k.held(broadcast.id))
                if lists.seen:
                    pipe.bitop("OR", lists.seen, lists.seen, lists.eligible)
                pipe.delete(lists.eligible)
            if broadcast.total:
                pipe.setrange(k.states(broadcast.id), broadcast.total - 1, b"\x00")
                pipe.setrange(k.attempts(broadcast.id), broadcast.total - 1, b"\x00")
            pipe.hset(k.counts(broadcast.id), State.PENDING.label, str(broadcast.total))
            pipe.hset(k.broadcast(broadcast.id), mapping=meta)
            pipe.rpush(k.incident_broadcasts(broadcast.incident_id), broadcast.id)
            if broadcast.status is BroadcastStatus.RUNNING:
                pipe.sadd(k.active_broadcasts, broadcast.id)
            try:
                await pipe.execute()
            except WatchError:
                return False
        return True

    async def get(self, broadcast_id: str) -> Broadcast:
        raw = await awaited(self._redis.hgetall(self._keys.broadcast(broadcast_id)))
        if not raw or b"kind" not in raw:
            raise NotFound(f"no broadcast {broadcast_id!r}")
        meta = {k.decode(): v.decode() for k, v in raw.items()}
        return Broadcast(
            id=meta["id"],
            incident_id=meta["incident_id"],
            kind=Kind(meta["kind"]),
            status=BroadcastStatus(meta["status"]),
            total=int(meta["total"]),
            chunk_size=int(meta["chunk_size"]),
            created_at=meta["created_at"],
            context=json.loads(meta.get("context") or "{}"),
            reason=meta.get("reason", ""),
            generation=int(meta.get("generation", "0")),
            estimate=json.loads(meta.get("estimate") or "{}"),
        )

    async def for_incident(self, incident_id: str) -> list[Broadcast]:
        ids = await awaited(self._redis.lrange(self._keys.incident_broadcasts(incident_id), 0, -1))
        return [await self.get(i.decode()) for i in ids]

    async def set_status(
        self, broadcast_id: str, status: BroadcastStatus, reason: str = "", bump: bool = False
    ) -> None:
        k = self._keys
        pipe = self._redis.pipeline(transaction=True)
        pipe.hset(k.broadcast(broadcast_id), mapping={"status": status.value, "reason": reason})
        if bump:
            pipe.hincrby(k.broadcast(broadcast_id), "generation", 1)
        if status is BroadcastStatus.RUNNING:
            pipe.sadd(k.active_broadcasts, broadcast_id)
        else:
            pipe.srem(k.active_broadcasts, broadcast_id)
        await pipe.execute()

    async def active(self) -> list[str]:
        members = await awaited(self._redis.smembers(self._keys.active_broadcasts))
        return sorted(m.decode() for m in members)

    async def chunk(self, broadcast: Broadcast, chunk: int) -> ChunkView:
        return await self.view(broadcast.id, *broadcast.chunk_range(chunk))

    async def states(self, broadcast_id: str, start: int, stop: int) -> bytes:
        """The state bytes of recipients ``start``..``stop - 1`` (one byte per recipient)."""
        if stop <= start:
            return b""
        raw = await awaited(self._redis.getrange(self._keys.states(broadcast_id), start, stop - 1))
        return bytes(raw).ljust(stop - start, b"\x00")

    async def view(self, broadcast_id: str, start: int, stop: int) -> ChunkView:
        """Recipients ``start``..``stop - 1``: ordinals, states, attempts, deadlines."""
        if stop <= start:
            return ChunkView(start, [], [], [], {})
        k = self._keys
        pipe = self._redis.pipeline(transaction=False)
        pipe.getrange(k.recipients(broadcast_id), start * ORDINAL.size, stop * ORDINAL.size - 1)
        pipe.getrange(k.states(broadcast_id), start, stop - 1)
        pipe.getrange(k.attempts(broadcast_id), start, stop - 1)
        pipe.hmget(k.due(broadcast_id), [str(i) for i in range(start, stop)])
        packed, states, attempts, dues = await pipe.execute()
        due = {start + i: int(d) for i, d in enumerate(dues) if d is not None}
        return ChunkView(
            start=start,
            ordinals=unpack(packed),
            states=[State(b) for b in states.ljust(stop - start, b"\x00")],
            attempts=list(attempts.ljust(stop - start, b"\x00")),
            due_ms=due,
        )

    async def claim(
        self,
        broadcast_id: str,
        claims: Sequence[Claim],
        now_ms: int,
        reconcile_ms: int,
        pair_ttl_ms: int,
        budget_limit: int = 0,
        budget_window_ms: int = 86_400_000,
        budget_key: str = "",
        incident_id: str = "",
        revision: int = 0,
        counted: bool = False,
    ) -> list[tuple[int, int]] | str:
        """Record the intent to send (see claim.lua): one ``(code, value)`` per claim.

        Returns ``"stopped"`` (the broadcast is not running) or ``"held"`` (the account is
        held) instead, having claimed nobody.
        """
        packed = "".join(
            f"{c.index}\x1f{c.pair_key}\x1f{c.member}\x1f{c.cadence_key}\x1e" for c in claims
        )
        _check_packed(packed, len(claims), 4)
        args: list[Any] = [now_ms, reconcile_ms, pair_ttl_ms, budget_limit, budget_window_ms]
        args += [CLAIMABLE_MASK, len(claims), incident_id, revision, packed, int(counted)]
        keys = [*self._state_keys(broadcast_id), budget_key or self._keys.scratch("nobudget")]
        keys += [self._keys.broadcast(broadcast_id), self._keys.hold]
        flat = await self._claim(keys=keys, args=args)
        if int(flat[0]) < 0:
            return "stopped" if int(flat[0]) == -1 else "held"
        return [(int(flat[i]), int(flat[i + 1])) for i in range(0, len(flat), 2)]

    async def move(
        self, broadcast_id: str, moves: Iterable[Move]
    ) -> list[tuple[int, State, State]]:
        """Apply transitions the state machine allows; return ``(index, old, new)`` made."""
        made, _ = await self.move_and_charge(broadcast_id, moves)
        return made

    async def move_and_charge(
        self, broadcast_id: str, moves: Iterable[Move]
    ) -> tuple[list[tuple[int, State, State]], float]:
        """``move``, also adding the delivered messages' charges to the broadcast's cost."""
        rows = [
            f"{m.index}\x1f{int(m.target)}\x1f{SOURCE_MASKS[m.target]}\x1f{m.attempt}\x1f"
            f"{m.attempt_rule}\x1f{m.due_ms}\x1f{m.charge!r}\x1e"
            for m in moves
        ]
        if not rows:
            return [], 0.0
        packed = "".join(rows)
        _check_packed(packed, len(rows), 7)
        keys = [*self._state_keys(broadcast_id), self._keys.broadcast(broadcast_id)]
        charged, *flat = await self._transition(keys=keys, args=[packed])
        made = [
            (int(flat[i]), STATES[int(flat[i + 1])], STATES[int(flat[i + 2])])
            for i in range(0, len(flat), 3)
        ]
        return made, float(charged)

    async def record_progress(
        self, broadcast_id: str, accepted: int, cost: float, now_s: int
    ) -> None:
        """Count accepted messages per second (for the current rate) and their expected cost."""
        k = self._keys
        pipe = self._redis.pipeline(transaction=False)
        pipe.hincrby(k.rate_buckets(broadcast_id), str(now_s), accepted)
        pipe.expire(k.rate_buckets(broadcast_id), RATE_WINDOW_SECONDS * 2)
        if cost:
            pipe.hincrbyfloat(k.broadcast(broadcast_id), "cost_estimated", cost)
        await pipe.execute()

    async def rate(self, broadcast_id: str, now_s: int) -> float:
        """Messages accepted per second over the last minute."""
        buckets = await awaited(self._redis.hgetall(self._keys.rate_buckets(broadcast_id)))
        recent = [int(v) for k, v in buckets.items() if now_s - int(k) < RATE_WINDOW_SECONDS]
        return round(sum(recent) / RATE_WINDOW_SECONDS, 2)

    async def category(self, broadcast_id: str) -> str:
        """The template category the broadcast sends (cached: it never changes)."""
        if broadcast_id not in self._categories:
            estimate = await self.meta_field(broadcast_id, "estimate")
            category = str(json.loads(estimate or "{}").get("category", "")).lower()
            if len(self._categories) > 10_000:
                self._categories.clear()
            self._categories[broadcast_id] = category
        return self._categories[broadcast_id]

    async def held(self, broadcast_id: str) -> list[int]:
        return unpack(await awaited(self._redis.get(self._keys.held(broadcast_id))) or b"")

    async def counts(self, broadcast_id: str) -> dict[str, int]:
        raw = await awaited(self._redis.hgetall(self._keys.counts(broadcast_id)))
        return {k.decode(): int(v) for k, v in raw.items() if int(v)}

    async def tally(self, broadcast_id: str) -> Tally:
        return Tally.from_counts(await self.counts(broadcast_id))

    async def mark_once(self, broadcast_id: str, field_name: str, value: str) -> bool:
        """Set a meta field only the first time (first message, 50% / 95% milestones)."""
        key = self._keys.broadcast(broadcast_id)
        return bool(await awaited(self._redis.hsetnx(key, field_name, value)))

    async def meta_field(self, broadcast_id: str, field_name: str) -> str | None:
        raw = await awaited(self._redis.hget(self._keys.broadcast(broadcast_id), field_name))
        return as_text(raw) if raw is not None else None
