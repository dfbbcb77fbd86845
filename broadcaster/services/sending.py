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
from collections.abc import Awaitable, Iterable
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
from broadcaster.adapters.cadence_store import CadenceStore
from broadcaster.adapters.directory import Directory
from broadcaster.adapters.holds import Holds
from broadcaster.adapters.incident_store import IncidentStore
from broadcaster.adapters.keys import Keys
from broadcaster.adapters.rate_limiter import Pacers
from broadcaster.adapters.template_status import TemplateStatuses
from broadcaster.adapters.voucher_store import VoucherStore
from broadcaster.adapters.whatsapp import CloudApi, SendFailed, template_payload
from broadcaster.clock import Clock, monotonic
from broadcaster.config import Settings
from broadcaster.domain.cadence import LIMITED, CadencePolicy
from broadcaster.domain.customers import Customer, calling_code
from broadcaster.domain.deliveries import CLAIMABLE, TIMED, State
from broadcaster.domain.holdout import holdout_seed, split_holdout
from broadcaster.domain.pricing import PriceTable
from broadcaster.domain.send_errors import Action, Verdict, number_wait
from broadcaster.domain.senders import choose_sender
from broadcaster.domain.templates import Kind
from broadcaster.metrics import SEND_DURATION, THROTTLED
from broadcaster.ports import JobQueue
from broadcaster.rendering import Renderer
from broadcaster.services.chunk_queue import enqueue_chunk
from broadcaster.services.holds import hold_sending
from broadcaster.services.in_flight import InFlight
from broadcaster.services.milestones import Milestones
from broadcaster.services.outcomes import ACCEPTED, Decision, OutcomeWriter, Result, decide
from broadcaster.services.planning import holdout_per_million
from broadcaster.services.preparation import (
    CADENCED,
    Hold,
    Ready,
    RunContext,
    incident_with_told_eta,
    memberships,
    prepare,
    run_context,
)
from broadcaster.services.template_health import record_template_refusal

logger = logging.getLogger(__name__)

CLAIM_BATCH = 64
# recipients prepared between two yields to the event loop (a chunk takes tens of ms)
PREPARE_SLICE = 256


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
    prices: PriceTable
    cadence: CadencePolicy
    cadence_store: CadenceStore
    vouchers: VoucherStore
    template_statuses: TemplateStatuses
    in_flight: InFlight = field(default_factory=lambda: InFlight(64))


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
    price: float
    cadence_key: str


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


async def settle(awaitables: Iterable[Awaitable[None]]) -> None:
    """Await all of them, even when one fails (then raise its error): unlike ``gather``, no
    send is left running unobserved and none is cancelled mid-request."""
    results = await asyncio.gather(*awaitables, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result


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
            deps.broadcasts,
            broadcast.id,
            broadcast.kind.value,
            self._applied,
            deps.clock,
            deps.prices.currency,
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
            try:
                await self._send(view, ready)
            finally:
                # outcomes of requests that left are recorded even if something else failed:
                # left unrecorded they would look unsent once their deadline passes
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
        records = await deps.directory.for_sending(ordinals)
        run = await self._run_context(ordinals)
        items: list[_Item] = []
        moves: list[Move] = []
        for n, (offset, ordinal, (customer, out)) in enumerate(
            zip(ready, ordinals, records, strict=True)
        ):
            if n and not n % PREPARE_SLICE:
                await asyncio.sleep(0)  # let the requests in flight be answered meanwhile
            index = view.start + offset
            outcome = prepare(
                self._broadcast,
                run,
                ordinal,
                customer,
                out,
                deps.renderer,
                deps.cadence,
                self._cache,
                retry=view.attempts[offset] > 0,
            )
            if isinstance(outcome, Ready) and customer is not None:
                items.append(self._item(index, ordinal, customer, outcome))
            elif isinstance(outcome, Hold):
                due = int(outcome.until.timestamp() * 1000)
                moves.append(Move(index, State.HELD, due_ms=due))
            else:
                moves.append(Move(index, State.SKIPPED))
        if moves:
            await self._applied(await deps.broadcasts.move(self._broadcast.id, moves))
        by_number: dict[str, list[_Item]] = defaultdict(list)
        for item in items:
            by_number[item.number].append(item)
        await settle(self._drive(number, queue) for number, queue in by_number.items())

    async def _run_context(self, ordinals: list[int]) -> RunContext:
        """Fresh incident state, and what this kind of message needs about its recipients."""
        deps = self._deps
        broadcast = self._broadcast
        incident = await deps.incidents.get(broadcast.incident_id)
        run = run_context(incident, deps.settings.app.business_name, deps.clock(), deps.cadence)
        if broadcast.kind in CADENCED:
            run.cadence = dict(
                zip(ordinals, await deps.cadence_store.records(ordinals), strict=True)
            )
        if broadcast.kind is Kind.VOUCHER:
            vouchers = await deps.vouchers.get_many(incident.id, ordinals)
            run.vouchers = {o: v for o, v in zip(ordinals, vouchers, strict=True) if v}
        if broadcast.kind in (Kind.NOTICE, Kind.UPDATE):
            others = [i for i in await deps.incidents.open() if i.id != incident.id and i.active]
            told: dict[str, list[bool]] = {}
            for other in others:
                selected = await deps.directory.members(
                    deps.keys.incident_seen(other.id, other.episode), ordinals
                )
                # its holdout was selected but never told: do not tell them through us
                share = holdout_per_million(other, deps.settings)
                held = set(split_holdout(ordinals, holdout_seed(other.id), share)[1])
                told[other.id] = [
                    bit and ordinal not in held
                    for ordinal, bit in zip(ordinals, selected, strict=True)
                ]
            run.memberships = memberships(
                [incident_with_told_eta(i, deps.cadence) for i in others], told, ordinals
            )
        return run

    def _item(self, index: int, ordinal: int, customer: Customer, ready: Ready) -> _Item:
        deps = self._deps
        numbers = deps.settings.whatsapp.phone_number_ids
        payload = template_payload(customer.wa_id, ready.message, "")
        category = ready.message.template.category
        price = deps.prices.price(category, calling_code(customer.phone))
        number = choose_sender(customer.customer_id, numbers)
        return _Item(index, customer, number, payload, price, deps.keys.cadence(ordinal))

    async def _drive(self, number: str, queue: list[_Item]) -> None:
        """Claim and send ``queue`` for one sender number, at the pace its slots allow.

        Permits for requests in flight are taken before recipients are claimed, so what is
        claimed is sent at once: claimed-but-unanswered recipients never exceed the
        process's ``max_in_flight`` (the only ones a crash can send twice).
        """
        in_flight = self._deps.in_flight
        tasks: list[asyncio.Task[None]] = []
        position = 0
        try:
            while position < len(queue) and not self._stop:
                want = min(CLAIM_BATCH, len(queue) - position)
                permits = await in_flight.take(want, least=min(want, CLAIM_BATCH // 2))
                sends: list[tuple[_Item, float, int]] = []
                try:
                    batch = queue[position : position + permits]
                    consumed, sends = await self._claim(number, batch)
                finally:
                    in_flight.release(permits - len(sends))
                position += consumed
                for item, slot, attempt in sends:
                    task = asyncio.create_task(self._send_one(item, number, slot, attempt))
                    # given back when the task ends, even if it is cancelled before it starts
                    task.add_done_callback(self._release_permit)
                    tasks.append(task)
        finally:
            # whatever stops the driver, every request that left is seen to its end and its
            # outcome buffered: an outcome dropped here would leave its recipient "sending"
            # until reconciliation, and then send it again
            await settle(tasks)

    def _release_permit(self, _: asyncio.Task[None]) -> None:
        self._deps.in_flight.release()

    async def _claim(
        self, number: str, batch: list[_Item]
    ) -> tuple[int, list[tuple[_Item, float, int]]]:
        """Take slots for the head of ``batch`` and record the intent to send to each.

        Returns how many items were used (those a slot was taken for) and
        ``(item, slot, attempt)`` for the ones claimed.
        """
        deps = self._deps
        wa = deps.settings.whatsapp
        pacer = deps.pacers[number]
        slots = await pacer.take(len(batch))
        del batch[len(slots) :]
        keys = deps.keys
        claims = [
            Claim(i.index, keys.pair(number, i.customer.wa_id), i.customer.wa_id, i.cadence_key)
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
            incident_id=self._broadcast.incident_id,
            revision=int(self._broadcast.context.get("revision", 0)),
            counted=self._broadcast.kind in LIMITED,
        )
        if isinstance(results, str):
            self._stop = "hold" if results == "held" else "paused"
            pacer.give_back(slots)
            return 0, []
        sends: list[tuple[_Item, float, int]] = []
        unused: list[float] = []
        for item, slot, (code, value) in zip(batch, slots, results, strict=True):
            if code == 1:
                sends.append((item, slot, value))
            else:
                unused.append(slot)
        pacer.give_back(unused)
        return len(batch), sends

    async def _send_one(self, item: _Item, number: str, slot: float, attempt: int) -> None:
        deps = self._deps
        pacer = deps.pacers[number]
        if not pacer.on_time(slot):
            await pacer.wait(slot)
        item.payload["biz_opaque_callback_data"] = f"{self._broadcast.id}|{item.index}|{attempt}"
        verdict: Verdict | None = None
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
        if verdict is None:
            decision = ACCEPTED
        else:
            wa, broadcast = deps.settings.whatsapp, deps.settings.broadcast
            now_ms = self._now_ms()
            decision = decide(verdict, attempt, now_ms, wa.reconcile_after, broadcast.max_attempts)
            await self._react(verdict, number, item.payload)
        await self._writer.add(Result(item.index, attempt, decision, verdict, item.price))

    async def _react(self, verdict: Verdict, number: str, payload: dict[str, Any]) -> None:
        """Side effects beyond this recipient: slow the number down, pause, hold."""
        deps = self._deps
        if verdict.code in (130429, 131056):
            THROTTLED.labels(str(verdict.code)).inc()
        wait = number_wait(verdict)
        if wait is not None:
            await deps.pacers[number].push_back(wait.total_seconds())
        elif verdict.action is Action.PAUSE_BROADCAST:
            self._stop = "paused"
            reason = f"{verdict.reason} ({verdict.code})"
            await record_template_refusal(deps.template_statuses, verdict, payload, deps.clock())
            await deps.broadcasts.set_status(self._broadcast.id, BroadcastStatus.PAUSED, reason)
            logger.error(
                "broadcast paused", extra={"broadcast_id": self._broadcast.id, "reason": reason}
            )
        elif verdict.action is Action.PAUSE_ACCOUNT:
            self._stop = "hold"
            await hold_sending(deps.holds, verdict, deps.clock())

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
