"""The holdout: a deterministic slice of an incident's audience deliberately not notified.

Membership is a pure function of (customer ordinal, incident), so resolving the same audience
twice holds out the same customers, a widened scope keeps earlier decisions, and different
incidents hold out different customers (deflection is measured per incident, not on a fixed
unlucky group).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

_MASK = 0xFFFFFFFFFFFFFFFF


def holdout_seed(incident_id: str) -> int:
    return int.from_bytes(hashlib.blake2b(incident_id.encode(), digest_size=8).digest(), "big")


def in_holdout(ordinal: int, seed: int, per_million: int) -> bool:
    """A cheap 64-bit integer mix (splitmix-style) of ordinal and seed, compared to the rate."""
    x = (ordinal * 0x9E3779B1 + seed) & _MASK
    x ^= x >> 29
    x = (x * 0xBF58476D1CE4E5B9) & _MASK
    x ^= x >> 32
    return x % 1_000_000 < per_million


def split_holdout(
    ordinals: Iterable[int], seed: int, per_million: int
) -> tuple[list[int], list[int]]:
    """(to notify, held out), each in the order given."""
    if per_million <= 0:
        return list(ordinals), []
    send: list[int] = []
    held: list[int] = []
    for ordinal in ordinals:
        (held if in_holdout(ordinal, seed, per_million) else send).append(ordinal)
    return send, held
