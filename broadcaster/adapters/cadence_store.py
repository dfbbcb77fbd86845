"""Per-customer cadence records: when the customer last heard from us and how often.

Written by the claim script (atomically with the claim), read by chunk senders to apply the
cadence rules (domain/cadence.py) to updates and follow-ups.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from broadcaster.adapters.keys import Keys
from broadcaster.adapters.redis_connection import Redis, as_text


@dataclass(frozen=True, slots=True)
class CadenceRecord:
    last: datetime | None
    sent: dict[str, int]  # incident id -> messages sent about it
    told: dict[str, int]  # incident id -> the newest revision the customer was told


class CadenceStore:
    def __init__(self, redis: Redis, keys: Keys) -> None:
        self._redis = redis
        self._keys = keys

    async def records(self, ordinals: Sequence[int]) -> list[CadenceRecord]:
        pipe = self._redis.pipeline(transaction=False)
        for ordinal in ordinals:
            pipe.hgetall(self._keys.cadence(ordinal))
        return [_record(raw) for raw in await pipe.execute()]


def _record(raw: dict[bytes, bytes]) -> CadenceRecord:
    fields = {as_text(k): as_text(v) for k, v in raw.items()}
    last = fields.get("last")
    return CadenceRecord(
        last=datetime.fromtimestamp(int(last) / 1000, UTC) if last else None,
        sent={k[2:]: int(v) for k, v in fields.items() if k.startswith("n:")},
        told={k[2:]: int(v) for k, v in fields.items() if k.startswith("r:")},
    )
