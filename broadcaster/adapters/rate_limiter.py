"""Global send pacing per sender number: GCRA in Redis, slots leased in batches.

Every worker process on every machine shares one theoretical arrival time (TAT) per phone
number id. A process leases ``n`` consecutive slots in one round trip (gcra_lease.lua; up to
rate x 0.1 s of them, fewer while it uses fewer) and hands them out locally in order; slots
are disjoint across processes and placed on the Redis clock (``RedisClock``), so the
aggregate stays at the configured rate. A crashed holder wastes its slots (throughput, never
an overrun).
A 130429 pushes every sender of the number back.
"""

from __future__ import annotations

import asyncio
import collections
import math

from broadcaster.adapters.keys import Keys
from broadcaster.adapters.lua import script
from broadcaster.adapters.redis_connection import Redis
from broadcaster.clock import monotonic
from broadcaster.metrics import RATE_LIMITER_WAIT

MAX_WAIT_SECONDS = 2.0
STALE_SLOT_SECONDS = 0.02
# closer than this to its slot, a send goes now: a timer for less costs more than it saves
ON_TIME_SECONDS = 0.0005


class RedisClock:
    """Redis ``TIME`` on this process's monotonic clock, estimated as NTP does: from the round
    trip with the least delay seen lately (the estimate is off by at most half of it).

    Mapping a lease by when its reply was *read* would shift every slot by however long the
    event loop took to get back to us (a busy loop, a GC pause), differently in each process,
    so slots of different processes would bunch. Anchored to Redis time, all processes agree
    on where each slot is, and a slot we got to late is dropped as stale instead.
    """

    REFRESH_SECONDS = 2.0  # a sample this old is replaced: clocks may slew apart slowly

    def __init__(self) -> None:
        self._offset = 0.0
        self._rtt = math.inf
        self._at = -math.inf

    def observe(self, sent: float, received: float, redis_now: float) -> None:
        rtt = received - sent
        offset = redis_now - (sent + received) / 2
        # the true offset is within rtt/2 of each estimate: further apart, the clock stepped
        jumped = abs(offset - self._offset) > (rtt + self._rtt) / 2 + 0.001
        if rtt <= self._rtt or jumped or received - self._at > self.REFRESH_SECONDS:
            self._offset, self._rtt, self._at = offset, rtt, received

    def local(self, redis_time: float) -> float:
        return redis_time - self._offset


class Pacer:
    """Hands out send slots for one phone number id at ``rate`` per second, shared via Redis."""

    def __init__(
        self,
        redis: Redis,
        key: str,
        rate: float,
        lease_seconds: float = 0.1,
        clock: RedisClock | None = None,
    ) -> None:
        self._key = key
        # rounded up: the integer interval must never make the rate exceed the configured one
        self._interval_us = max(1, math.ceil(1_000_000 / rate))
        self._lease = max(1, math.ceil(rate * lease_seconds))
        self._leased = self._lease  # size of the last lease
        self._dropped = 0  # slots dropped unused (stale) since the last lease
        self._slots: collections.deque[float] = collections.deque()
        self._lock = asyncio.Lock()
        self._script = script(redis, "gcra_lease")
        self._clock = clock or RedisClock()

    @property
    def rate(self) -> float:
        return 1_000_000 / self._interval_us

    async def take(
        self, most: int, horizon: float = 0.05, late: float = STALE_SLOT_SECONDS
    ) -> list[float]:
        """Up to ``most`` slots due within ``horizon`` seconds (monotonic times), at least one.

        Callers claim that many recipients and send each at its slot time: the claim (intent
        recorded) happens at most ``horizon`` before the send it announces. Slots more than
        ``late`` seconds in the past are dropped, not handed out.
        """
        async with self._lock:
            began = now = monotonic()
            while self._slots and self._slots[0] < now - late:
                self._slots.popleft()  # a slot missed by far would become a burst: drop it
                self._dropped += 1
            while True:
                if not self._slots:
                    # a fresh lease starts at the Redis clock's "now": never dropped as late
                    await self._refill(most)
                now = monotonic()
                wait = self._slots[0] - now - horizon
                if wait <= 0:
                    break
                # looked at again after the sleep: a timer may fire early (uvloop's have
                # millisecond granularity) and a push-back may have emptied the slots
                await asyncio.sleep(wait)
            limit = now + horizon
            taken: list[float] = []
            while self._slots and len(taken) < most and self._slots[0] <= limit:
                taken.append(self._slots.popleft())
        RATE_LIMITER_WAIT.observe(max(0.0, taken[0] - began))
        return taken

    def on_time(self, slot: float) -> bool:
        """True when a send at ``slot`` may go now: neither early nor stale (no wait needed)."""
        late = monotonic() - slot
        return -ON_TIME_SECONDS <= late <= STALE_SLOT_SECONDS

    async def wait(self, slot: float) -> None:
        """Sleep until ``slot``; if we wake up late (a busy event loop), take a fresh slot.

        Sending late on an old slot would bunch with the slots that follow it and could
        exceed the rate in some one-second window.
        """
        while True:
            delay = slot - monotonic()
            if delay > ON_TIME_SECONDS:
                await asyncio.sleep(delay)
                continue  # a timer may fire early: never send before the slot
            if -delay <= STALE_SLOT_SECONDS:
                return
            # a slot with at least half its tolerance left: one that is nearly stale would
            # likely be stale again by the time we look, and we would spin taking slots
            slot = (await self.take(1, late=STALE_SLOT_SECONDS / 2))[0]

    def give_back(self, slots: list[float]) -> None:
        """Return slots taken but not used (their recipient was not claimable)."""
        for slot in sorted(slots, reverse=True):
            self._slots.appendleft(slot)

    async def _refill(self, most: int) -> None:
        # Lease what we are likely to use: twice what the last lease served, at least what
        # is asked, at most rate x lease_seconds. A sender slower than the rate would
        # otherwise reserve a full lease, use a few slots before the rest went stale and
        # leave the number idle (for every process sharing it) until the lease ran out.
        used = self._leased - self._dropped
        size = min(self._lease, max(most, 2 * used, 1))
        while True:
            sent = monotonic()
            granted, offset_us, now_us = await self._script(
                keys=[self._key],
                args=[self._interval_us, 0, size, int(MAX_WAIT_SECONDS * 1e6), 0],
            )
            self._clock.observe(sent, monotonic(), int(now_us) / 1e6)
            if int(granted):
                first = self._clock.local((int(now_us) + int(offset_us)) / 1e6)
                step = self._interval_us / 1e6
                self._slots.extend(first + i * step for i in range(int(granted)))
                self._leased, self._dropped = int(granted), 0
                return
            await asyncio.sleep(max(0.001, int(offset_us) / 1e6 - MAX_WAIT_SECONDS / 2))

    async def push_back(self, seconds: float) -> None:
        """WhatsApp said too fast (130429): every sender of this number waits ``seconds``."""
        self._slots.clear()
        await self._script(
            keys=[self._key], args=[self._interval_us, 0, 1, 0, max(1, int(seconds * 1e6))]
        )


class Pacers:
    """One Pacer per sender number, created on first use."""

    def __init__(
        self, redis: Redis, keys: Keys, rates: dict[str, float], default_rate: float
    ) -> None:
        self._redis = redis
        self._keys = keys
        self._rates = rates
        self._default = default_rate
        self._pacers: dict[str, Pacer] = {}
        self._clock = RedisClock()  # one per process: every number's leases read one clock

    def __getitem__(self, phone_number_id: str) -> Pacer:
        pacer = self._pacers.get(phone_number_id)
        if pacer is None:
            rate = self._rates.get(phone_number_id, self._default)
            key = self._keys.rate(phone_number_id)
            pacer = Pacer(self._redis, key, rate, clock=self._clock)
            self._pacers[phone_number_id] = pacer
        return pacer


class PairTurns:
    """Meta's pair rate for answers: ``burst`` back to back, then one per ``interval``.

    Meta allows one message per 6 s to the same customer, in bursts of up to 45 that borrow
    from later turns. A broadcast keeps to one per interval (its claim), but a customer who
    writes in a second after their notice must not wait 6 s for the answer: answers get a
    small burst of their own (a GCRA per number and customer, the pacing script with a
    tolerance), far below Meta's 45 even added to a broadcast's one.
    """

    def __init__(self, redis: Redis, keys: Keys, interval_seconds: float, burst: int) -> None:
        self._keys = keys
        self._interval_us = int(interval_seconds * 1_000_000)
        self._tolerance_us = max(0, burst - 1) * self._interval_us
        self._script = script(redis, "gcra_lease")

    async def turn(self, phone_number_id: str, wa_id: str) -> None:
        """Wait, if need be, until this customer may get another answer; take that turn."""
        if self._interval_us <= 0:
            return
        key = self._keys.answer_pair(phone_number_id, wa_id)
        args = [self._interval_us, self._tolerance_us, 1, self._interval_us, 0]
        while True:
            granted, offset_us, _ = await self._script(keys=[key], args=args)
            wait = int(offset_us) / 1e6
            if wait > 0:
                await asyncio.sleep(wait)
            if int(granted):
                return
