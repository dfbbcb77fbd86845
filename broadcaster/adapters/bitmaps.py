"""Bitmaps over customer ordinals, packed ordinal lists and short-lived scratch keys.

A Redis bitmap stores ordinal ``n`` at bit ``n`` counting from the most significant bit of
byte 0 (SETBIT order). A packed list is big-endian uint32 ordinals, read in ranges by
broadcast chunks with GETRANGE.
"""

from __future__ import annotations

import re
import struct
import uuid
from collections.abc import Sequence

from redis.asyncio.client import Pipeline

from broadcaster.adapters.keys import Keys
from broadcaster.adapters.redis_connection import Redis

SCRATCH_TTL_SECONDS = 120
ORDINAL = struct.Struct(">I")
_ONE = re.compile("1")


def decode_bitmap(data: bytes, first: int = 0) -> list[int]:
    """Ordinals whose bit is set, ascending; ``first`` is the ordinal of bit 0 of ``data``.

    One C-level pass (int -> binary text -> regex scan): ~35 ms for 200,000 members of a
    million-bit map, about half of a byte-by-byte Python loop.
    """
    text = format(int.from_bytes(data, "big"), f"0{len(data) * 8}b")
    return [first + m.start() for m in _ONE.finditer(text)]


def pack(ordinals: Sequence[int]) -> bytes:
    return struct.pack(f">{len(ordinals)}I", *ordinals)


def unpack(data: bytes) -> list[int]:
    return list(struct.unpack(f">{len(data) // 4}I", data))


def subtract(pipe: Pipeline, target: str, remove: str, scratch_key: str) -> None:
    """target := target minus remove, as (target AND remove) XOR target; no BITOP NOT sizing."""
    pipe.bitop("AND", scratch_key, target, remove)
    pipe.bitop("XOR", target, target, scratch_key)


class Scratch:
    """Unique temporary keys with a TTL, deleted when the resolution ends."""

    def __init__(self, keys: Keys) -> None:
        self._keys = keys
        self._run = uuid.uuid4().hex[:12]
        self.created: list[str] = []
        self._expiring = 0

    def expire(self, pipe: Pipeline) -> None:
        """Queue a TTL on every key made since the last call (a crash must not leak them)."""
        for key in self.created[self._expiring :]:
            pipe.expire(key, SCRATCH_TTL_SECONDS)
        self._expiring = len(self.created)

    def new(self) -> str:
        key = self._keys.scratch(f"{self._run}:{len(self.created)}")
        self.created.append(key)
        return key

    async def drop(self, redis: Redis) -> None:
        if self.created:
            await redis.delete(*self.created)
