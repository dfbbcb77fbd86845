"""Customer upserts and erasures for integrations (the API's counterpart of an import).

All or nothing: a batch with one invalid customer is refused whole, naming every problem by
index, and nothing is written; a valid batch is applied by one script run, atomically. A CRM
that retries a batch then never leaves half of it applied. Duplicate ids: the last one wins,
and the earlier ones are reported as superseded.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from broadcaster.adapters.directory import CREATED, UNCHANGED, Directory
from broadcaster.domain.customer_rows import CustomerParser, RowRules, from_json
from broadcaster.domain.customers import Customer
from broadcaster.errors import InputError

MAX_DETAILS = 100
RESULTS = {CREATED: "created", UNCHANGED: "unchanged"}


async def upsert_batch(
    directory: Directory, rules: RowRules, items: object, limit: int
) -> dict[str, Any]:
    """``items``: a JSON list of customer objects (JSON Lines keys), or ``{"customers": [...]}``."""
    if isinstance(items, dict) and set(items) == {"customers"}:
        items = items["customers"]
    if not isinstance(items, list) or not items:
        raise InputError('expected a non-empty JSON list of customers (or {"customers": [...]})')
    if len(items) > limit:
        raise InputError(f"at most {limit} customers per request (customers.api_batch_limit)")
    parse = CustomerParser(rules).parse
    parsed = [parse(from_json(item)) for item in items]
    problems = [
        f"[{index}] {problem}"
        for index, result in enumerate(parsed)
        if isinstance(result, list)
        for problem in result
    ]
    if problems:
        invalid = sum(isinstance(r, list) for r in parsed)
        raise InputError(
            f"{invalid} of {len(items)} customers are invalid; nothing was written",
            problems[:MAX_DETAILS],
        )
    customers = [c for c in parsed if isinstance(c, Customer)]
    last = {c.customer_id: index for index, c in enumerate(customers)}
    kept = sorted(last.values())
    result = await directory.upsert([customers[i] for i in kept])
    outcome = dict(zip(kept, result.statuses, strict=True))
    return {
        "created": result.created,
        "updated": result.updated,
        "unchanged": result.unchanged,
        "results": [
            {
                "customer_id": c.customer_id,
                "result": RESULTS.get(outcome[i], "updated") if i in outcome else "superseded",
            }
            for i, c in enumerate(customers)
        ],
    }


async def erase_batch(directory: Directory, customer_ids: Sequence[object]) -> dict[str, Any]:
    if (
        not customer_ids
        or not all(isinstance(i, str) and i.strip() for i in customer_ids)
        or len(customer_ids) > 1000
    ):
        raise InputError('expected {"customer_ids": [1 to 1000 non-empty strings]}')
    ids = [str(i).strip() for i in customer_ids]
    erased = await directory.erase(ids)
    return {
        "erased": [i for i, done in zip(ids, erased, strict=True) if done],
        "not_found": [i for i, done in zip(ids, erased, strict=True) if not done],
    }
