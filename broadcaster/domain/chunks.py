"""Which chunks of a broadcast should have a job: keeping tier priority across workers.

Recipients are stored highest tier first. If every chunk ran at once, all chunks would share
the rate limit and a Platinum customer at the top would wait as long as a Standard one at
the bottom. So only a window of the first chunks that still have never-tried recipients run
at a time (the frontier), plus every chunk that holds recipients waiting for a retry.
"""

from __future__ import annotations

from collections.abc import Sequence


def chunks_to_run(pending: Sequence[bool], waiting: Sequence[bool], window: int) -> list[int]:
    """Chunk indexes that should have a job now.

    ``pending[k]``: chunk k still has never-claimed recipients; ``waiting[k]``: it has
    recipients waiting for a retry or a reconciliation (their own job re-runs them).
    """
    frontier = [k for k, has in enumerate(pending) if has][: max(1, window)]
    return sorted(set(frontier) | {k for k, has in enumerate(waiting) if has})
