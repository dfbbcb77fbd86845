"""Which sender number messages a customer: always the same one (rendezvous hashing).

Replies, customer-service windows and pair limits live per (number, customer), so a customer
must not hop between numbers. Rendezvous hashing keeps the choice stable and, when a number
is added or removed, moves only the customers of that number.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence


def _score(customer_id: str, number: str) -> int:
    digest = hashlib.blake2b(f"{number}|{customer_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def choose_sender(customer_id: str, numbers: Sequence[str]) -> str:
    """The sender number for ``customer_id`` among ``numbers`` (non-empty)."""
    if len(numbers) == 1:
        return numbers[0]
    return max(numbers, key=lambda number: _score(customer_id, number))
