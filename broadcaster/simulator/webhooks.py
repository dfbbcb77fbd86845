"""Signed webhooks, posted off the request path: status batches and inbound messages.

Accepting a message only pushes its planned statuses on a heap (O(log n)). One background
task wakes every ``webhook_flush_interval_s``, moves due statuses to a buffer, and posts
them in batches of up to ``webhook_batch_max`` (one ``changes[]`` entry per phone number
id), shuffled when ``faults.webhook_reorder``, some twice at ``webhook_duplicate_ratio``.
A POST our endpoint answers non-2xx (or not in time) is retried after each of
``webhook_retry_delays_s``, then given up; every outcome is counted in ``WebhookStats``.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import json
import logging
import random
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp

from broadcaster.domain.signatures import meta_signature
from broadcaster.simulator.config import SimulatorConfig
from broadcaster.simulator.records import AcceptedMessage, Ledger
from broadcaster.simulator.statuses import StatusStep, status_object

logger = logging.getLogger(__name__)

USER_AGENT = "facebookexternalua"
_MIN_TICK_S = 0.001


@dataclass
class WebhookStats:
    """What happened to webhook POSTs since the last reset."""

    posted: int = 0  # POSTs our endpoint answered 2xx
    retried: int = 0  # retry attempts after a refusal, an error or a timeout
    failed: int = 0  # POSTs given up after the last retry
    duplicates: int = 0  # statuses queued a second time on purpose
    statuses_posted: int = 0
    inbound_posted: int = 0


def envelope(waba_id: str, values: list[dict[str, Any]], field: str = "messages") -> dict[str, Any]:
    """Meta's webhook body: one entry for the WABA, one ``field`` change per value."""
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": waba_id, "changes": [{"value": v, "field": field} for v in values]}],
    }


def metadata(config: SimulatorConfig, phone_number_id: str) -> dict[str, str]:
    return {
        "display_phone_number": config.display_number(phone_number_id),
        "phone_number_id": phone_number_id,
    }


StatusItem = tuple[str, dict[str, Any]]  # (phone number id, status object)


def batches(
    items: list[StatusItem], size: int, rng: random.Random, reorder: bool
) -> list[list[StatusItem]]:
    """``items`` cut into POSTs of at most ``size``, each shuffled when ``reorder``."""
    out = [items[i : i + size] for i in range(0, len(items), size)]
    if reorder:
        for batch in out:
            rng.shuffle(batch)
    return out


def _by_number(batch: list[StatusItem]) -> dict[str, dict[str, list[dict[str, Any]]]]:
    groups: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for number, status in batch:
        groups.setdefault(number, {"statuses": []})["statuses"].append(status)
    return groups


class WebhookDispatcher:
    """Schedules status webhooks and posts every webhook, signed, to ``config.webhook_url``."""

    def __init__(self, config: SimulatorConfig, ledger: Ledger, rng: random.Random) -> None:
        self._config = config
        self.ledger = ledger
        self._rng = rng
        self.stats = WebhookStats()
        self._heap: list[tuple[float, int, AcceptedMessage, StatusStep]] = []
        self._seq = 0
        self._buffer: list[StatusItem] = []
        self._tasks: set[asyncio.Task[bool]] = set()
        # loop-bound objects exist only while `running()` (the app) is up
        self._wake: asyncio.Event | None = None
        self._slots: asyncio.Semaphore | None = None
        self._session: aiohttp.ClientSession | None = None

    def schedule(self, message: AcceptedMessage, steps: list[StatusStep]) -> None:
        """Queue ``message``'s statuses, each due ``step.after_s`` after its acceptance."""
        for step in steps:
            self._seq += 1
            heapq.heappush(
                self._heap, (message.accepted_at + step.after_s, self._seq, message, step)
            )
        if self._wake is not None:
            self._wake.set()

    def pending(self) -> int:
        """Statuses not yet posted plus POSTs in flight."""
        return len(self._heap) + len(self._buffer) + len(self._tasks)

    async def wait_idle(self, timeout: float) -> None:  # noqa: ASYNC109 (a deadline, not I/O)
        """Return once nothing is pending; ``TimeoutError`` after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while self.pending():
            if time.monotonic() >= deadline:
                raise TimeoutError(f"{self.pending()} webhooks still pending after {timeout} s")
            await asyncio.sleep(0.005)

    def reset(self, ledger: Ledger) -> None:
        """Forget queued statuses and counts; POSTs in flight still complete."""
        self.ledger = ledger
        self.stats = WebhookStats()
        self._heap.clear()
        self._buffer.clear()

    async def post_value(self, value: dict[str, Any], field: str = "messages") -> bool:
        """Post one ``changes[].value`` on its own (inbound, template events); True if 2xx."""
        if self._session is None:
            raise RuntimeError("the simulator app is not running: start it with run_simulator")
        body = self._encode([value], field)
        task = self._spawn(body, statuses=0, inbound=int(field == "messages"))
        return await asyncio.shield(task)

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Own an HTTP session and the flush loop for as long as the app runs."""
        async with aiohttp.ClientSession() as session:
            self._session = session
            self._wake = asyncio.Event()
            self._slots = asyncio.Semaphore(self._config.webhook_concurrency)
            loop_task = asyncio.create_task(self._run(self._wake))
            try:
                yield
            finally:
                loop_task.cancel()
                for task in list(self._tasks):
                    task.cancel()
                await asyncio.gather(loop_task, *self._tasks, return_exceptions=True)
                self._session = self._wake = self._slots = None

    async def _run(self, wake: asyncio.Event) -> None:
        while True:
            if not self._heap and not self._buffer:
                wake.clear()
                await wake.wait()
            await asyncio.sleep(max(self._config.webhook_flush_interval_s, _MIN_TICK_S))
            try:
                self._release_due(time.monotonic())
                self._flush()
            except Exception:  # keep posting later batches whatever one batch did
                logger.exception("webhook flush failed")

    def _release_due(self, now: float) -> None:
        heap = self._heap
        wall = time.time()
        posting = self._config.webhook_url is not None
        duplicate_ratio = self._config.faults.webhook_duplicate_ratio
        while heap and heap[0][0] <= now:
            _, _, message, step = heapq.heappop(heap)
            self.ledger.record_status(message, step.status, step.error_code)
            if not posting:
                continue
            item = (
                message.phone_number_id,
                status_object(message, step.status, step.error_code, wall),
            )
            self._buffer.append(item)
            if duplicate_ratio and self._rng.random() < duplicate_ratio:
                self._buffer.append(item)
                self.stats.duplicates += 1

    def _flush(self) -> None:
        reorder = self._config.faults.webhook_reorder
        for batch in batches(self._buffer, self._config.webhook_batch_max, self._rng, reorder):
            values = [
                {"messaging_product": "whatsapp", "metadata": metadata(self._config, n), **s}
                for n, s in _by_number(batch).items()
            ]
            _ = self._spawn(self._encode(values), statuses=len(batch), inbound=0)
        self._buffer = []

    def _encode(self, values: list[dict[str, Any]], field: str = "messages") -> bytes:
        body = envelope(self._config.waba_id, values, field)
        return json.dumps(body, separators=(",", ":")).encode()

    def _spawn(self, body: bytes, statuses: int, inbound: int) -> asyncio.Task[bool]:
        task = asyncio.create_task(self._deliver(body, statuses, inbound))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _deliver(self, body: bytes, statuses: int, inbound: int) -> bool:
        for attempt, delay in enumerate((0.0, *self._config.webhook_retry_delays_s)):
            if attempt:
                self.stats.retried += 1
                await asyncio.sleep(delay)
            if await self._post_once(body):
                self.stats.posted += 1
                self.stats.statuses_posted += statuses
                self.stats.inbound_posted += inbound
                return True
        self.stats.failed += 1
        logger.warning("webhook given up", extra={"statuses": statuses, "inbound": inbound})
        return False

    async def _post_once(self, body: bytes) -> bool:
        url = self._config.webhook_url
        if url is None or self._session is None or self._slots is None:
            return url is None  # no endpoint configured (any more): nothing to retry
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "X-Hub-Signature-256": meta_signature(self._config.app_secret, body),
        }
        timeout = aiohttp.ClientTimeout(total=self._config.webhook_timeout_s)
        try:
            async with (
                self._slots,
                self._session.post(url, data=body, headers=headers, timeout=timeout) as r,
            ):
                await r.read()
                return 200 <= r.status < 300
        except (aiohttp.ClientError, TimeoutError) as exc:
            logger.info("webhook post failed", extra={"error": repr(exc)})
            return False
