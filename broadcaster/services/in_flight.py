"""How many sends one worker process has claimed and not yet seen answered, at most ``limit``.

A chunk's driver takes permits in batches *before* it claims recipients, and each send gives
its permit back when its answer (or failure) is in. So a driver never claims more than it can
send at once, a claim happens just before its send, and when a process dies the recipients it
had claimed but not finished (the only ones that may be sent twice) number at most ``limit``.

Waiters are served in arrival order, so drivers of parallel chunks share the permits fairly.
"""

from __future__ import annotations

import asyncio
import collections


class InFlight:
    """A counting semaphore whose ``take`` grants a batch of permits at once."""

    def __init__(self, limit: int) -> None:
        self.limit = max(1, limit)
        self._free = self.limit
        self._waiters: collections.deque[tuple[int, int, asyncio.Future[int]]] = collections.deque()

    @property
    def free(self) -> int:
        return self._free

    async def take(self, most: int, least: int = 1) -> int:
        """Wait until ``least`` permits are free, then take as many as are free, up to ``most``.

        Returns how many were taken (between ``least`` and ``most``; ``least`` is capped at
        ``most`` and at the limit). Give each one back with ``release``.
        """
        most = max(1, most)
        least = max(1, min(least, most, self.limit))
        if not self._waiters and self._free >= least:
            return self._grant(most)
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._waiters.append((most, least, future))
        try:
            return await future
        except asyncio.CancelledError:
            if future.done() and not future.cancelled():
                self._free += future.result()  # granted, but its taker is gone
            self._wake()
            raise

    def release(self, count: int = 1) -> None:
        """Give back ``count`` permits (a send is over, or claimed permits went unused)."""
        if count > 0:
            self._free += count
            self._wake()

    def _grant(self, most: int) -> int:
        granted = min(most, self._free)
        self._free -= granted
        return granted

    def _wake(self) -> None:
        while self._waiters:
            most, least, future = self._waiters[0]
            if future.done():  # cancelled while waiting
                self._waiters.popleft()
                continue
            if self._free < least:
                return
            self._waiters.popleft()
            future.set_result(self._grant(most))
