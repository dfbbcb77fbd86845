"""Deterministic sample customers for the demo and the tests."""

from __future__ import annotations

import csv
from pathlib import Path

from broadcaster.domain.customers import Customer

REGIONS = ("jkt-selatan", "jkt-utara", "bandung", "surabaya")
TIERS = ("platinum", "gold", "silver", "standard")
FIRST_NAMES = ("Siti", "Budi", "Agus", "Dewi", "Rina", "Joko", "Made", "Putu", "Anna", "Tom")


def tier_of(i: int) -> str:
    """About 10% platinum, 20% gold, 30% silver, 40% standard, spread over every region."""
    share = (i * 2654435761) % 100
    return (
        TIERS[0] if share < 10 else TIERS[1] if share < 30 else TIERS[2] if share < 60 else TIERS[3]
    )


def sample_customers(count: int, start: int = 0) -> list[Customer]:
    """Indonesian and English speakers (1 in 5), four regions, four tiers, 5% not opted in."""
    out = []
    for i in range(start, start + count):
        out.append(
            Customer(
                customer_id=f"C{i:06d}",
                phone=f"+62812{i:07d}",
                opt_in=i % 20 != 7,
                name=f"{FIRST_NAMES[i % len(FIRST_NAMES)]} {i}",
                language="en" if i % 5 == 0 else "id",
                timezone="Asia/Jakarta",
                tier=tier_of(i),
                attributes={"region": REGIONS[i % 4], "service": "fiber" if i % 3 else "mobile"},
            )
        )
    return out


CSV_COLUMNS = ("customer_id", "phone", "opt_in", "name", "language", "timezone", "tier")
# rows a real CRM export has: the import rejects them with their line and reason
BROKEN_ROWS = (
    ("C900001", "0812-345", "yes", "Short Number", "id", "Asia/Jakarta", "gold"),
    ("", "+6281299990000", "yes", "No Id", "id", "Asia/Jakarta", "silver"),
)


def write_customer_csv(path: Path, customers: list[Customer]) -> None:
    """``customers`` as a CRM export would give them, plus ``BROKEN_ROWS``."""
    attributes = sorted({k for c in customers for k in c.attributes})
    with path.open("w", newline="", encoding="utf-8") as sink:
        writer = csv.writer(sink)
        writer.writerow([*CSV_COLUMNS, *attributes])
        for c in customers:
            core = (c.customer_id, c.phone, "yes" if c.opt_in else "no", c.name, c.language)
            writer.writerow(
                [*core, c.timezone, c.tier, *(c.attributes.get(a, "") for a in attributes)]
            )
        for row in BROKEN_ROWS:
            writer.writerow([*row, *("" for _ in attributes)])
