"""The stored form of one customer: a single string, also read by ``lua/customers.lua``.

Layout (fields joined by US, ``\\x1f``; rows never contain control characters)::

    id US phone US opt_in(1|0) US name US language US timezone US tier US calling_code
       {US attribute US value}

Attributes are sorted by name, so the string is canonical: a re-import is "unchanged" exactly
when the new string equals the stored one. An attribute stored without an index is written
``~name``; the script indexes every other attribute, plus tier and language.

Why a string and not a hash per customer: 235 against 330 bytes of Redis memory per customer
(docs/decisions.md), one GET/MGET to read, and string equality as change detection.
"""

from __future__ import annotations

import struct

from broadcaster.adapters.keys import lookup_bucket
from broadcaster.domain.customers import Customer, IndexPolicy, calling_code

SEPARATOR = "\x1f"
UNINDEXED = "~"


def encode(customer: Customer, policy: IndexPolicy) -> tuple[str, list[str]]:
    """The record and its index entries (``attribute US value``), in one pass."""
    code = calling_code(customer.phone)
    parts = [
        customer.customer_id,
        customer.phone,
        "1" if customer.opt_in else "0",
        customer.name,
        customer.language,
        customer.timezone,
        customer.tier,
        code,
    ]
    entries = [f"tier{SEPARATOR}{customer.tier}", f"language{SEPARATOR}{customer.language}"]
    if code:
        entries.append(f"cc{SEPARATOR}{code}")
    attributes = customer.attributes
    for name in sorted(attributes):
        value = attributes[name]
        if policy.indexes(name):
            parts += (name, value)
            if value:
                entries.append(f"{name}{SEPARATOR}{value}")
        else:
            parts += (UNINDEXED + name, value)
    return SEPARATOR.join(parts), entries


class UpsertBatch:
    """The arguments of one ``customers.lua`` upsert: each customer as an item, plus one table
    of the index entries the batch names, so the script finds a new customer's bitmaps by
    number instead of parsing its record (a third of its work per customer).

    Item layout: 4 hex chars lookup bucket of the id, 4 of the phone, the number of index
    entries (2 bytes), each entry's number in the table (2 bytes each), then the record.
    """

    MAX_ENTRIES = 65_000

    def __init__(self, policy: IndexPolicy) -> None:
        self._policy = policy
        self._numbers: dict[str, int] = {}
        self.items: list[bytes] = []

    def __len__(self) -> int:
        return len(self.items)

    @property
    def full(self) -> bool:
        """Entry numbers are two bytes: start a new batch before they run out."""
        return len(self._numbers) >= self.MAX_ENTRIES

    def add(self, customer: Customer) -> None:
        record, entries = encode(customer, self._policy)
        numbers = self._numbers
        for entry in entries:
            if entry not in numbers:
                numbers[entry] = len(numbers) + 1
        packed = struct.pack(
            f">{len(entries) + 1}H", len(entries), *map(numbers.__getitem__, entries)
        )
        key = lookup_bucket(customer.customer_id) + lookup_bucket(customer.phone)
        self.items.append(b"".join((key.encode(), packed, record.encode())))

    def args(self) -> list[bytes | str]:
        """``count, entry_1..entry_count, item_1..item_n`` (see ``customers.lua``)."""
        return [str(len(self._numbers)), *self._numbers, *self.items]


def decode(record: bytes | str) -> Customer:
    text = record.decode() if isinstance(record, bytes) else record
    parts = text.split(SEPARATOR)
    names = parts[8::2]
    return Customer(
        customer_id=parts[0],
        phone=parts[1],
        opt_in=parts[2] == "1",
        name=parts[3],
        language=parts[4],
        timezone=parts[5],
        tier=parts[6],
        attributes={n.removeprefix(UNINDEXED): v for n, v in zip(names, parts[9::2], strict=True)},
    )
