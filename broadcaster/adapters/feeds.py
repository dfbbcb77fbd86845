"""Fetching feeds we poll (Statuspage-style status APIs, Alertmanager's API): thin GETs.

Parsing is done elsewhere (domain); this only turns HTTP trouble into ``FeedError`` so that a
poll that fails is counted and logged, and the next poll simply tries again.
"""

from __future__ import annotations

import aiohttp

from broadcaster.errors import BroadcasterError

MAX_FEED_BYTES = 8 * 1024 * 1024


class FeedError(BroadcasterError):
    """A feed could not be read (unreachable, not 200, too large)."""


async def fetch(session: aiohttp.ClientSession, url: str, seconds: float = 10.0) -> bytes:
    """The body of ``GET url`` (JSON expected); anything but a 200 is a ``FeedError``."""
    try:
        async with session.get(
            url,
            headers={"Accept": "application/json"},
            timeout=aiohttp.ClientTimeout(total=seconds),
        ) as response:
            if response.status != 200:
                raise FeedError(f"GET {url}: HTTP {response.status}")
            body = await response.content.read(MAX_FEED_BYTES + 1)
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise FeedError(f"GET {url}: {exc.__class__.__name__}: {exc}") from exc
    if len(body) > MAX_FEED_BYTES:
        raise FeedError(f"GET {url}: larger than {MAX_FEED_BYTES} bytes")
    return body
