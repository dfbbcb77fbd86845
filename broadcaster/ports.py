"""The small interfaces the services need, so they can be driven by any adapter."""

from __future__ import annotations

from typing import Any, Protocol


class JobQueue(Protocol):
    async def enqueue(
        self, function: str, *args: Any, job_id: str, defer_seconds: float = 0
    ) -> bool:
        """Queue ``function(*args)`` once per ``job_id``; False if that id is already queued."""
        ...
