"""Send one chunk of a broadcast: claim just in time, send at the paced slot, record outcome.

For each sender number a driver takes slots from the shared pacer, claims that many due
recipients (intent recorded: ``sending``, attempt + 1) and schedules each request at its
slot. Outcomes are written back in batches. The job ends when nothing in the chunk is due;
if some recipients wait (retry backoff, unknown outcome, pair limit) it asks to be re-run
when the earliest of them is due.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from broadcaster.adapters.broadcast_store import (
    Broadcast,
    BroadcastStatus,
    BroadcastStore,
    ChunkView,
    Claim,
    Move,
)
from broadcaster.adapters.directory import Directory
from broadcaster.adapters.holds import Holds
from broadcaster.adapters.incident_store import IncidentStore
from broadcaster.adapters.keys import Keys
from broadcaster.adapters.rate_limiter import Pacers
from broadcaster.adapters.whatsapp import CloudApi, SendFailed, template_payload
from broadcaster.clock import Clock, monotonic
from broadcaster.config import Settings
from broadcaster.domain.customers import Customer
from broadcaster.domain.deliveries import CLAIMABLE, TIMED, State
from broadcaster.domain.incidents import Incident
from broadcaster.domain.send_errors import Action, Verdict
from broadcaster.domain.senders import choose_sender
from broadcaster.domain.timefmt import format_rfc3339
from broadcaster.errors import InputError
from broadcaster.metrics import SEND_DURATION, SENDER_PAUSED, THROTTLED
from broadcaster.ports import JobQueue
from broadcaster.rendering import Renderer
from broadcaster.services.chunk_queue import enqueue_chunk
from broadcaster.services.context import customer_context, incident_context
from broadcaster.services.milestones import Milestones
from broadcaster.services.outcomes import Decision, OutcomeWriter, Result, decide

logger = logging.getLogger(__name__)

CLAIM_BATCH = 64


@dataclass
class SendingDeps:
    settings: Settings
    clock: Clock
    keys: Keys
    broadcasts: BroadcastStore
    directory: Directory
    incidents: IncidentStore
    renderer: Renderer
    cloud: CloudApi
    pacers: Pacers
    holds: Holds
    milestones: Milestones
    queue: JobQueue
    in_flight: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(64))


@dataclass(frozen=True, slots=True)
class ChunkReport:
    """How a chunk run ended: ``wait`` seconds until something is due again (None = done)."""

    sent: int
    wait: float | None
    stopped: str = ""


@dataclass(slots=True)
class _Item:
    index: int
    customer: Customer
    number: str
    payload: dict[str, Any]


def due_now(view: ChunkView, now_ms: int) -> tuple[list[int], int | None]:
    """Chunk offsets claimable now, and the earliest future deadline among the rest."""
    ready: list[int] = []
    earliest: int | None = None
    for offset, state in enumerate(view.states):
        if state not in CLAIMABLE:
            continue
        deadline = view.due_ms.get(view.start + offset, 0) if state in TIMED else 0
        if deadline <= now_ms:
            ready.append(offset)
        elif earliest is None or deadline < earliest:
            earliest = deadline
    return ready, earliest


class ChunkSender:
    """Runs one chunk of one broadcast until nothing in it is due."""

    def __init__(self, deps: SendingDeps, broadcast: Broadcast, chunk: int) -> None:
        self._deps = deps
        self._broadcast = broadcast
        self._chunk = chunk
        self._sent = 0
        self._stop = ""
        self._cache: dict[tuple[Any, ...], str] = {}
        self._released = False
        self._writer = OutcomeWriter(
            deps.broadcasts, broadcast.id, broadcast.kind.value, self._applied
        )

    async def run(self, soft_deadline: float) -> ChunkReport:
        deps = self._deps
        started = monotonic()
        while True:
            if await deps.holds.get() is not None:
                return ChunkReport(self._sent, 10.0, "account_hold")
            current = await deps.broadcasts.get(self._broadcast.id)
            if current.status is not BroadcastStatus.RUNNING:
                return ChunkReport(self._sent, None, current.status.value)
            view = await deps.broadcasts.chunk(self._broadcast, self._chunk)
            now_ms = self._now_ms()
            ready, earliest = due_now(view, now_ms)
            if State.PENDING not in view.states:
                await self._release_next_chunk()
            if not ready:
                wait = None if earliest is None else max(0.05, (earliest - now_ms) / 1000)
                return ChunkReport(self._sent, wait)
            await self._send(view, ready)
            await self._writer.flush()
            if self._stop:
                return ChunkReport(self._sent, 10.0 if self._stop == "hold" else None, self._stop)
            if monotonic() - started > soft_deadline:
                return ChunkReport(self._sent, 0.0, "soft_deadline")

    async def _release_next_chunk(self) -> None:
        """Every recipient here has been tried once: let the next chunk of the window start."""
        if not self._released:
            self._released = True
            window = self._deps.settings.broadcast.parallel_chunks
            await enqueue_chunk(self._deps.queue, self._broadcast, self._chunk + window)

    def _now_ms(self) -> int:
        return int(self._deps.clock().timestamp() * 1000)

    async def _send(self, view: ChunkView, ready: list[int]) -> None:
        deps = self._deps
        ordinals = [view.ordinals[o] for o in ready]
        customers = await deps.directory.get_many(ordinals)
        opted_out = await deps.directory.is_opted_out(ordinals)
        incident = await deps.incidents.get(self._broadcast.incident_id)
        base = incident_context(incident, deps.settings.app.business_name)
        items: list[_Item] = []
        skips: list[Move] = []
        for offset, customer, out in zip(ready, customers, opted_out, strict=True):
            index = view.start + offset
            item = self._prepare(index, customer, out, incident, base)
            if item is None:
                skips.append(Move(index, State.SKIPPED))
            else:
                items.append(item)
        if skips:
            await self._applied(await deps.broadcasts.move(self._broadcast.id, skips))
        by_number: dict[str, list[_Item]] = defaultdict(list)
        for item in items:
            by_number[item.number].append(item)
        await asyncio.gather(*(self._drive(number, queue) for number, queue in by_number.items()))

    def _prepare(
        self,
        index: int,
        customer: Customer | None,
        opted_out: bool,
        incident: Incident,
        base: dict[str, Any],
    ) -> _Item | None:
        """Render the message, or None when this recipient must be skipped."""
        if customer is None or opted_out:
            return None  # erased, or opted out since the audience was drawn: opt-out wins
        numbers = self._deps.settings.whatsapp.phone_number_ids
        context = customer_context(base, incident, customer, self._broadcast.context.get("extra"))
        try:
            message = self._deps.renderer.render(
                self._broadcast.kind, customer.language, context, self._cache
            )
        except InputError:
            logger.warning("no template", extra={"broadcast_id": self._broadcast.id})
            return None
        payload = template_payload(customer.wa_id, message, "")
        return _Item(index, customer, choose_sender(customer.customer_id, numbers), payload)

    async def _drive(self, number: str, queue: list[_Item]) -> None:
        """Claim and send ``queue`` for one sender number, at the pace its slots allow."""
        deps = self._deps
        pacer = deps.pacers[number]
        wa = deps.settings.whatsapp
        tasks: list[asyncio.Task[None]] = []
        position = 0
        while position < len(queue) and not self._stop:
            slots = await pacer.take(min(CLAIM_BATCH, len(queue) - position))
            batch = queue[position : position + len(slots)]
            position += len(batch)
            claims = [
                Claim(i.index, deps.keys.pair(number, i.customer.wa_id), i.customer.wa_id)
                for i in batch
            ]
            results = await deps.broadcasts.claim(
                self._broadcast.id,
                claims,
                now_ms=self._now_ms(),
                reconcile_ms=int(wa.reconcile_after.total_seconds() * 1000),
                pair_ttl_ms=int(wa.pair_interval.total_seconds() * 1000),
                budget_limit=wa.messaging_limit,
                budget_key=deps.keys.budget(),
            )
            unused: list[float] = []
            for item, slot, (code, value) in zip(batch, slots, results, strict=True):
                if code == 1:
                    tasks.append(asyncio.create_task(self._send_one(item, number, slot, value)))
                else:
                    unused.append(slot)
            pacer.give_back(unused)
        if tasks:
            await asyncio.gather(*tasks)

    async def _send_one(self, item: _Item, number: str, slot: float, attempt: int) -> None:
        deps = self._deps
        delay = slot - monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        item.payload["biz_opaque_callback_data"] = f"{self._broadcast.id}|{item.index}|{attempt}"
        verdict: Verdict | None = None
        async with deps.in_flight:
            began = monotonic()
            try:
                await deps.cloud.send(number, item.payload)
                self._sent += 1
                if self._sent == 1:
                    await deps.milestones.first_message(self._broadcast)
            except SendFailed as failure:
                verdict = failure.verdict
            SEND_DURATION.observe(monotonic() - began)
        if logger.isEnabledFor(logging.DEBUG):
            # the log formatter masks the number (+62812****7890): findable, not callable
            logger.debug(
                "send attempt",
                extra={
                    "broadcast_id": self._broadcast.id,
                    "index": item.index,
                    "attempt": attempt,
                    "to": item.customer.phone,
                    "code": None if verdict is None else verdict.code,
                },
            )
        decision = decide(
            verdict,
            attempt,
            self._now_ms(),
            deps.settings.whatsapp.reconcile_after,
            deps.settings.broadcast.max_attempts,
        )
        if verdict is not None:
            await self._react(verdict, number)
        await self._writer.add(Result(item.index, attempt, decision, verdict))

    async def _react(self, verdict: Verdict, number: str) -> None:
        """Side effects beyond this recipient: slow the number down, pause, hold."""
        deps = self._deps
        if verdict.code in (130429, 131056):
            THROTTLED.labels(str(verdict.code)).inc()
        if verdict.code == 130429:
            await deps.pacers[number].push_back(1.0)
        elif verdict.action is Action.PAUSE_NUMBER and verdict.backoff is not None:
            await deps.pacers[number].push_back(verdict.backoff.total_seconds())
        elif verdict.action is Action.PAUSE_BROADCAST:
            self._stop = "paused"
            reason = f"{verdict.reason} ({verdict.code})"
            await deps.broadcasts.set_status(self._broadcast.id, BroadcastStatus.PAUSED, reason)
            logger.error(
                "broadcast paused", extra={"broadcast_id": self._broadcast.id, "reason": reason}
            )
        elif verdict.action is Action.PAUSE_ACCOUNT:
            self._stop = "hold"
            since = format_rfc3339(deps.clock()) or ""
            if await deps.holds.set(verdict.reason, verdict.code, since):
                SENDER_PAUSED.labels(verdict.reason).set(1)
                logger.error("sending held", extra={"reason": verdict.reason, "code": verdict.code})

    async def _applied(self, applied: list[tuple[int, State, State]]) -> None:
        if applied:
            await self._deps.milestones.after_progress(self._broadcast)


async def send_chunk(
    deps: SendingDeps, broadcast_id: str, chunk: int, generation: int, soft_deadline: float
) -> ChunkReport:
    """Entry point for the worker's chunk job."""
    broadcast = await deps.broadcasts.get(broadcast_id)
    if broadcast.generation != generation:
        return ChunkReport(0, None, "superseded")
    if broadcast.status is not BroadcastStatus.RUNNING:
        return ChunkReport(0, None, broadcast.status.value)
    report = await ChunkSender(deps, broadcast, chunk).run(soft_deadline)
    if report.wait is None and not report.stopped:
        await deps.milestones.maybe_done(broadcast)
    return report


__all__ = ["ChunkReport", "ChunkSender", "Decision", "SendingDeps", "send_chunk"]
