"""Progress of a long import: a bar on a terminal, a log line every few seconds otherwise."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TextIO

logger = logging.getLogger(__name__)
WIDTH = 30


class Progress:
    """Call with (rows done, rows expected); ``close`` ends the bar's line."""

    def __init__(
        self,
        out: TextIO,
        interactive: bool,
        log_every: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._out = out
        self._interactive = interactive
        self._every = log_every if not interactive else 0.1
        self._clock = clock
        self._started = clock()
        self._last = self._started
        self._drawn = False

    def __call__(self, done: int, total: int) -> None:
        now = self._clock()
        if now - self._last < self._every and done < total:
            return
        self._last = now
        rate = done / max(now - self._started, 1e-9)
        if self._interactive:
            share = done / total if total else 1.0
            bar = "#" * int(share * WIDTH)
            self._out.write(
                f"\r[{bar:<{WIDTH}}] {share:4.0%}  {done:,}/{total:,} rows  {rate:,.0f} rows/s"
            )
            self._drawn = done < total
            if not self._drawn:
                self._out.write("\n")  # the last frame ends its line before anything else prints
            self._out.flush()
        else:
            logger.info(
                "import progress", extra={"rows": done, "of": total, "rows_per_s": round(rate)}
            )

    def close(self) -> None:
        """End an unfinished bar's line (an import that stopped part way)."""
        if self._drawn:
            self._out.write("\n")
            self._out.flush()
