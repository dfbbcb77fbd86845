"""The voucher ledger in Redis: one entry per (incident, customer), written once.

Finance exports it (``broadcaster vouchers export``); the voucher broadcast reads each
recipient's entry; the report reads the totals kept beside it.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import AsyncIterator, Sequence

from broadcaster.adapters.keys import Keys
from broadcaster.adapters.lua import script
from broadcaster.adapters.redis_connection import Redis, as_text, awaited
from broadcaster.domain.vouchers import Voucher, VoucherStatus


class VoucherStore:
    def __init__(self, redis: Redis, keys: Keys) -> None:
        self._redis = redis
        self._keys = keys
        self._issue = script(redis, "issue_voucher")

    async def code_secret(self) -> str:
        """A random key made once per deployment (the first writer wins): codes stay
        unguessable when no secret is configured, and the same across restarts."""
        key = self._keys.voucher_secret
        await self._redis.set(key, secrets.token_hex(32), nx=True)
        return as_text(await self._redis.get(key))

    async def record(self, ordinal: int, voucher: Voucher, month: str, once_per_month: bool) -> str:
        """``new``, ``exists`` or ``excluded`` (see issue_voucher.lua)."""
        k = self._keys
        result = await self._issue(
            keys=[
                k.vouchers(voucher.incident_id),
                k.voucher_totals(voucher.incident_id),
                k.compensated(ordinal),
            ],
            args=[
                ordinal,
                json.dumps(voucher.to_dict()),
                str(voucher.value),
                month,
                "1" if once_per_month else "0",
                "1" if voucher.status is VoucherStatus.PENDING else "0",
            ],
        )
        return as_text(result)

    async def confirm(self, ordinal: int, voucher: Voucher) -> None:
        """A pending voucher the provider has now issued."""
        k = self._keys
        pipe = self._redis.pipeline(transaction=True)
        pipe.hset(k.vouchers(voucher.incident_id), str(ordinal), json.dumps(voucher.to_dict()))
        pipe.hincrby(k.voucher_totals(voucher.incident_id), "pending", -1)
        await pipe.execute()

    async def get_many(self, incident_id: str, ordinals: Sequence[int]) -> list[Voucher | None]:
        if not ordinals:
            return []
        raw = await awaited(
            self._redis.hmget(self._keys.vouchers(incident_id), [str(o) for o in ordinals])
        )
        return [Voucher.from_dict(json.loads(r)) if r else None for r in raw]

    async def entries(self, incident_id: str) -> AsyncIterator[tuple[int, Voucher]]:
        """Every entry, streamed (HSCAN): exports of large incidents stay small in memory."""
        async for ordinal, raw in self._redis.hscan_iter(self._keys.vouchers(incident_id)):
            yield int(ordinal), Voucher.from_dict(json.loads(raw))

    async def pending(self, incident_id: str) -> list[tuple[int, Voucher]]:
        return [
            (o, v) async for o, v in self.entries(incident_id) if v.status is VoucherStatus.PENDING
        ]

    async def totals(self, incident_id: str) -> dict[str, float]:
        raw = await awaited(self._redis.hgetall(self._keys.voucher_totals(incident_id)))
        return {as_text(k): float(v) for k, v in raw.items()}
