"""Deterministic sample customers for the demo and the tests."""

from __future__ import annotations

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
