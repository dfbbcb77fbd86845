"""What messages cost: Meta charges per delivered template, by category and country.

Prices come from configuration (``[pricing]``, per category, keyed by country calling code
with a ``default``), because Meta changes its rate card every quarter. Since July 2025 a
failed message is free and a delivered one is charged once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class PriceTable:
    currency: str
    # category (lower case: utility, marketing, authentication, service) -> code -> price
    prices: Mapping[str, Mapping[str, float]] = field(default_factory=dict)

    def price(self, category: str, calling_code: str) -> float:
        """Price of one delivered message; 0 for a category without prices."""
        table = self.prices.get(category.lower(), {})
        return float(table.get(calling_code, table.get("default", 0.0)))

    def estimate(
        self, category: str, by_calling_code: Mapping[str, int], share: float = 1.0
    ) -> float:
        """Expected cost of messaging these recipients (``share`` of them, e.g. minus holdout)."""
        total = sum(self.price(category, code) * count for code, count in by_calling_code.items())
        return round(total * share, 4)
