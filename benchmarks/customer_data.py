"""Synthetic customer files for the directory benchmarks: realistic shapes, seeded, streamed.

Six free attributes with the cardinalities of a national ISP: region (34 provinces), city
(100), site (300 POPs), service (3), plan (10), segment (4); plus tier, language and time zone.
Numbers are written the way CRM exports mix them: national (0812...), E.164 with and
without ``+``, with separators.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

TIERS = ["platinum", "gold", "silver", "standard"]
TIER_WEIGHTS = [2, 8, 20, 70]
ATTRIBUTES = {
    "region": [f"prov-{i:02d}" for i in range(34)],
    "city": [f"city-{i:03d}" for i in range(100)],
    "site": [f"POP-{i:03d}" for i in range(300)],
    "service": ["fiber", "mobile", "tv"],
    "plan": [f"plan-{i}" for i in range(10)],
    "segment": ["consumer", "sme", "enterprise", "government"],
}
HEADER = ["customer_id", "phone", "opt_in", "name", "language", "timezone", "tier", *ATTRIBUTES]
ZONES = ["Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"]


def phone(rng: random.Random, i: int) -> str:
    subscriber = f"{i:08d}"
    style = i % 4
    if style == 0:
        return f"0812{subscriber}"
    if style == 1:
        return f"+62812{subscriber}"
    if style == 2:
        return f"62812{subscriber}"
    return f"+62 812-{subscriber[:4]}-{subscriber[4:]}"


def write_csv(path: Path, count: int, seed: int = 7, first: int = 0) -> Path:
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for i in range(first, first + count):
            tier = rng.choices(TIERS, TIER_WEIGHTS)[0]
            writer.writerow(
                [
                    f"CUST-{i:08d}",
                    phone(rng, i),
                    "true" if rng.random() < 0.9 else "false",
                    f"Customer {i}",
                    "id" if rng.random() < 0.8 else "en",
                    rng.choice(ZONES),
                    tier,
                    *(rng.choice(values) for values in ATTRIBUTES.values()),
                ]
            )
    return path
