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

from broadcaster.adapters.keys import lookup_bucket
from broadcaster.domain.customers import Customer, IndexPolicy, calling_code

SEPARATOR = "\x1f"
UNINDEXED = "~"


def encode(customer: Customer, policy: IndexPolicy) -> str:
    parts = [
        customer.customer_id,
        customer.phone,
        "1" if customer.opt_in else "0",
        customer.name,
        customer.language,
        customer.timezone,
        customer.tier,
        calling_code(customer.phone),
    ]
    attributes = customer.attributes
    for name in sorted(attributes):
        parts.append(name if policy.indexes(name) else UNINDEXED + name)
        parts.append(attributes[name])
    return SEPARATOR.join(parts)


def encode_item(customer: Customer, policy: IndexPolicy) -> str:
    """What ``customers.lua`` upserts: the id's and the phone's lookup buckets, then the
    record (hashing here, in the importer's process, spares Redis's single thread)."""
    record = encode(customer, policy)
    return lookup_bucket(customer.customer_id) + lookup_bucket(customer.phone) + record


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
