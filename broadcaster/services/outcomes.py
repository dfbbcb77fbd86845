"""What a send's result does to the recipient, the broadcast, the sender and the account.

Pure decisions (``decide``) plus the buffered writer that applies them in batches: one Lua
call records many outcomes, so bookkeeping costs a round trip per batch, not per message.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from prometheus_client import Counter as MetricCounter

from broadcaster.adapters.broadcast_store import BroadcastStore, Move
from broadcaster.clock import Clock, monotonic
from broadcaster.domain.deliveries import State
from broadcaster.domain.send_errors import Action, Verdict, backoff, pair_backoff
from broadcaster.metrics import COST, MESSAGE_ERRORS, MESSAGES

MAX_AGE_SECONDS = 0.2


@dataclass(frozen=True, slots=True)
class Decision:
    """The recipient's next state and when it may be tried again (ms since epoch, 0 = never)."""

    state: State
    due_ms: int = 0


ACCEPTED = Decision(State.ACCEPTED)


def decide(
    verdict: Verdict | None,
    attempt: int,
    now_ms: int,
    reconcile: timedelta,
    max_attempts: int,
) -> Decision:
    """The recipient's next state after attempt ``attempt`` ended with ``verdict``.

    ``None`` means accepted. Anything that may be retried, an unknown outcome included,
    becomes final once ``max_attempts`` is used up; until then an unknown outcome waits
    ``reconcile`` for a status webhook to resolve it before it is sent again.
    """
    if verdict is None:
        return ACCEPTED
    action = verdict.action
    if action is Action.UNKNOWN and attempt < max_attempts:
        return Decision(State.UNKNOWN, now_ms + _ms(reconcile))
    if action is Action.FAIL or attempt >= max_attempts:
        # an answer that never came, max_attempts times, ends too (a broadcast must finish);
        # a late status webhook still moves the recipient to sent, delivered or read
        return Decision(State.FAILED)
    if action is Action.RESCHEDULE:
        wait = pair_backoff(attempt)
    elif verdict.backoff is not None and action is not Action.RETRY:
        wait = verdict.backoff
    else:
        wait = backoff(attempt)
    jitter = random.uniform(0, 0.2) * wait.total_seconds()
    return Decision(State.RETRY, now_ms + _ms(wait) + int(jitter * 1000))


def _ms(delta: timedelta) -> int:
    return int(delta.total_seconds() * 1000)


@dataclass(frozen=True, slots=True)
class Result:
    index: int
    attempt: int
    decision: Decision
    verdict: Verdict | None
    price: float = 0.0  # expected cost of this message once delivered


class OutcomeWriter:
    """Buffers results and applies them in batches; ``flush`` on the way out."""

    def __init__(
        self,
        store: BroadcastStore,
        broadcast_id: str,
        kind: str,
        on_applied: Callable[[list[tuple[int, State, State]]], Awaitable[None]],
        clock: Clock,
        currency: str,
        batch: int = 200,
    ) -> None:
        self._store = store
        self._clock = clock
        self._currency = currency
        self._broadcast_id = broadcast_id
        self._kind = kind
        self._on_applied = on_applied
        self._batch = batch
        self._pending: list[Result] = []
        self._lock = asyncio.Lock()
        self._flushed_at = monotonic()
        self._counters: dict[State, MetricCounter] = {}

    def _messages(self, state: State) -> MetricCounter:
        """The messages counter of this kind and ``state`` (labels looked up once)."""
        counter = self._counters.get(state)
        if counter is None:
            counter = self._counters[state] = MESSAGES.labels(self._kind, state.label)
        return counter

    async def add(self, result: Result) -> None:
        self._pending.append(result)
        if result.verdict is not None:
            where = "sync" if result.verdict.code else "transport"
            MESSAGE_ERRORS.labels(self._kind, str(result.verdict.code), where).inc()
        # by size for throughput, by age so that reports and milestones stay current
        if len(self._pending) >= self._batch or monotonic() - self._flushed_at > MAX_AGE_SECONDS:
            await self.flush()

    async def flush(self) -> None:
        async with self._lock:
            self._flushed_at = monotonic()
            pending, self._pending = self._pending, []
            if not pending:
                return
            moves = [
                Move(r.index, r.decision.state, r.attempt, 1, r.decision.due_ms) for r in pending
            ]
            applied = await self._store.move(self._broadcast_id, moves)
        for state, count in Counter(new for _, _, new in applied).items():
            self._messages(state).inc(count)
        # counted from our own results: a status webhook may have moved them on already
        accepted = [r for r in pending if r.decision.state is State.ACCEPTED]
        if accepted:
            cost = sum(r.price for r in accepted)
            now = int(self._clock().timestamp())
            await self._store.record_progress(self._broadcast_id, len(accepted), cost, now)
            COST.labels("estimated", self._currency).inc(cost)
        await self._on_applied(applied)
