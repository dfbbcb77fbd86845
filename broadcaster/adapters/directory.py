"""The customer directory in Redis: records, attribute bitmaps, lookups, opt-out.

Each customer gets a dense ordinal (1, 2, 3...) on first import; indexes are bitmaps over
ordinals, so an audience is a handful of BITOPs however many customers there are. A record,
its lookups and its index bits change together inside ``lua/customers.lua``, so a crash never
leaves a customer half-indexed. Ordinals are never reused: a broadcast drawn before an erasure
finds ``None`` where the customer was.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from broadcaster.adapters.customer_records import UpsertBatch, decode
from broadcaster.adapters.keys import Keys, lookup_bucket
from broadcaster.adapters.lua import script
from broadcaster.adapters.redis_connection import Redis, as_text, awaited
from broadcaster.domain.customers import Customer, IndexPolicy

CREATED, UPDATED, UNCHANGED = "c", "u", "n"


@dataclass(frozen=True, slots=True)
class UpsertResult:
    """Counts of one upsert; ``statuses`` has one letter per customer, in order
    (c created, u updated, n unchanged; upper case for an id this import already wrote)."""

    created: int
    updated: int
    unchanged: int
    statuses: str = ""

    @property
    def duplicates(self) -> int:
        return sum(1 for s in self.statuses if s.isupper())


def tally(statuses: str) -> UpsertResult:
    lowered = statuses.lower()
    return UpsertResult(
        lowered.count(CREATED), lowered.count(UPDATED), lowered.count(UNCHANGED), statuses
    )


class Directory:
    """Customer records and their indexes."""

    def __init__(self, redis: Redis, keys: Keys, policy: IndexPolicy | None = None) -> None:
        self._redis = redis
        self._keys = keys
        self.policy = policy or IndexPolicy()
        self._script = script(redis, "customers")

    async def upsert(self, customers: Sequence[Customer], seen: str = "") -> UpsertResult:
        """Create or update ``customers`` (validated, defaults filled) in one atomic step.

        ``seen`` names an import's bitmap of ordinals already written, to report duplicates.
        """
        if not customers:
            return UpsertResult(0, 0, 0)
        batch = UpsertBatch(self.policy)
        for customer in customers:
            batch.add(customer)
        return await self.upsert_encoded(batch.args(), seen)

    async def upsert_encoded(self, encoded: Sequence[bytes | str], seen: str = "") -> UpsertResult:
        """``upsert`` for ``UpsertBatch.args()`` (an import encodes in its parsing process
        while Redis applies the previous batch)."""
        args = [self._keys.prefix, "upsert", seen, *encoded]
        return tally(as_text(await self._script(keys=[], args=args)))

    async def erase(self, customer_ids: Sequence[str]) -> list[bool]:
        """Remove customers' personal data and index bits; ``False`` for unknown ids."""
        if not customer_ids:
            return []
        args = [self._keys.prefix, "erase", *(lookup_bucket(i) + i for i in customer_ids)]
        return [s == "d" for s in as_text(await self._script(keys=[], args=args))]

    async def compact(self) -> int:
        """Rewrite every index bitmap at its exact size (after an import); returns how many."""
        compacted = 0
        keys: list[str] = []
        async for key in self._redis.scan_iter(match=f"{self._keys.index_prefix}*", count=1000):
            keys.append(as_text(key))
            if len(keys) == 100:
                compacted += await self._compact(keys)
                keys = []
        return compacted + await self._compact(keys)

    async def _compact(self, keys: list[str]) -> int:
        if not keys:
            return 0
        return int(await self._script(keys=[], args=[self._keys.prefix, "compact", *keys]))

    async def ordinal(self, customer_id: str) -> int | None:
        key = self._keys.customer_ids(customer_id)
        raw = await awaited(self._redis.hget(key, customer_id))
        return int(raw) if raw is not None else None

    async def get(self, customer_id: str) -> Customer | None:
        ordinal = await self.ordinal(customer_id)
        return None if ordinal is None else (await self.get_many([ordinal]))[0]

    async def get_many(self, ordinals: Sequence[int]) -> list[Customer | None]:
        """Records by ordinal, in order; ``None`` where a customer was erased."""
        if not ordinals:
            return []
        records = await self._redis.mget([self._keys.customer(o) for o in ordinals])
        return [None if r is None else decode(r) for r in records]

    async def for_sending(self, ordinals: Sequence[int]) -> list[tuple[Customer | None, bool]]:
        """Records and opt-out flags in one round trip: what a chunk needs before it sends."""
        if not ordinals:
            return []
        pipe = self._redis.pipeline(transaction=False)
        pipe.mget([self._keys.customer(o) for o in ordinals])
        pipe.execute_command("BITFIELD_RO", self._keys.opted_out, *_bit_gets(ordinals))
        records, bits = await pipe.execute()
        return [
            (None if record is None else decode(record), bool(bit))
            for record, bit in zip(records, bits, strict=True)
        ]

    async def members(self, bitmap: str, ordinals: Sequence[int]) -> list[bool]:
        """Which ``ordinals`` are set in ``bitmap`` (an incident's "seen" set, for example)."""
        if not ordinals:
            return []
        command = self._redis.execute_command  # untyped in redis-py's stubs
        bits = await command("BITFIELD_RO", bitmap, *_bit_gets(ordinals))  # type: ignore[no-untyped-call]
        return [bool(bit) for bit in bits]

    async def find_by_phone(self, phone: str) -> tuple[int, Customer] | None:
        """The customer with this E.164 number (inbound messages arrive by number)."""
        raw = await awaited(self._redis.hget(self._keys.customer_phones(phone), phone))
        if raw is None:
            return None
        customer = (await self.get_many([int(raw)]))[0]
        return None if customer is None else (int(raw), customer)

    async def set_opted_out(self, ordinal: int, opted_out: bool) -> bool:
        """Record an opt-out (or opt back in); returns whether it changed. Opt-out always wins."""
        previous = await self._redis.setbit(self._keys.opted_out, ordinal, 1 if opted_out else 0)
        return bool(previous) != opted_out

    async def is_opted_out(self, ordinals: Sequence[int]) -> list[bool]:
        return await self.members(self._keys.opted_out, ordinals)

    async def count(self) -> int:
        return int(await self._redis.bitcount(self._keys.everyone))

    async def values(self, attribute: str) -> list[str]:
        raw = await awaited(self._redis.smembers(self._keys.values(attribute)))
        return sorted(v.decode() for v in raw)

    async def attributes(self) -> list[str]:
        """Attributes some customer has an indexed value for (plus tier and language)."""
        found = []
        async for key in self._redis.scan_iter(match=f"{self._keys.values_prefix}*", count=1000):
            found.append(as_text(key).removeprefix(self._keys.values_prefix))
        return sorted(found)


def _bit_gets(ordinals: Sequence[int]) -> list[str | int]:
    """``GET u1 <offset>`` for each ordinal: one BITFIELD_RO reads them all."""
    args: list[str | int] = []
    for ordinal in ordinals:
        args += ["GET", "u1", ordinal]
    return args
