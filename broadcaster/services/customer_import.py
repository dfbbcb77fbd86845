"""Import a customer file: check it whole, then stream it into the directory in batches.

Nothing is written to Redis until the file has passed every whole-file check (encoding,
format, header, attribute cardinality). Then each row is validated; a bad row goes to the
rejects file with its line number and every reason, and the good rows of a batch are applied
by one script run (atomic per customer and per batch). Parsing runs in a child process while
this one writes the previous batch (import_parsing.py), so the two overlap and memory holds
two batches, whatever the size of the file.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from broadcaster.adapters.customer_files import (
    FileRefused,
    Format,
    RejectsFile,
    open_customer_file,
)
from broadcaster.adapters.customer_scan import scan
from broadcaster.adapters.directory import Directory, UpsertResult
from broadcaster.adapters.keys import Keys
from broadcaster.adapters.redis_connection import Redis, awaited
from broadcaster.config import Settings
from broadcaster.services.customer_rules import index_policy, row_rules
from broadcaster.services.import_parsing import ParsedBatches, ParseJob

logger = logging.getLogger(__name__)
SEEN_TTL_SECONDS = 86_400
DUPLICATE_LINES_KEPT = 20
Progress = Callable[[int, int], None]


@dataclass
class ImportReport:
    path: str
    format: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    duplicates: int = 0
    duplicate_lines: list[int] = field(default_factory=list)
    rejects_path: str = ""

    def add(self, result: UpsertResult, lines: list[int]) -> None:
        self.created += result.created
        self.updated += result.updated
        self.unchanged += result.unchanged
        for line, status in zip(lines, result.statuses, strict=True):
            if status.isupper():
                self.duplicates += 1
                if len(self.duplicate_lines) < DUPLICATE_LINES_KEPT:
                    self.duplicate_lines.append(line)

    def to_dict(self) -> dict[str, object]:
        return {
            "file": self.path,
            "format": self.format,
            "rows": self.rows,
            "imported": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
            "duplicates": self.duplicates,
            "duplicate_lines": self.duplicate_lines,
            "rejects_file": self.rejects_path,
        }


def default_rejects_path(path: Path) -> Path:
    return path.with_name(path.name + ".rejects.csv")


def _check_writable(path: Path) -> None:
    """Fail on an unwritable rejects file before the first write to Redis."""
    with RejectsFile.create(path):
        pass


async def import_customers(
    redis: Redis,
    keys: Keys,
    settings: Settings,
    path: Path,
    *,
    fmt: Format | None = None,
    rejects_path: Path | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Import ``path``; raises ``FileRefused`` (nothing written) or a Redis error."""
    file = open_customer_file(path, fmt)
    policy = index_policy(settings)
    scanned = await asyncio.to_thread(
        scan, file, policy, settings.customers.max_values_per_attribute
    )
    await _check_cardinality(redis, keys, path, scanned.values, settings)
    rejects_path = rejects_path or default_rejects_path(path)
    _check_writable(rejects_path)
    report = ImportReport(str(path), file.format, rejects_path=str(rejects_path))
    directory = Directory(redis, keys, policy)
    seen = keys.import_seen(uuid.uuid4().hex[:12])
    batches = ParsedBatches(
        ParseJob(
            file, row_rules(settings), policy, rejects_path, settings.customers.import_batch_size
        )
    )
    await redis.set(seen, b"", ex=SEEN_TTL_SECONDS)
    try:
        async for batch in batches:
            if batch.encoded:
                report.add(await directory.upsert_encoded(batch.encoded, seen), batch.lines)
            report.rows += batch.rows
            if progress is not None:
                progress(report.rows, scanned.rows)
    finally:
        await redis.delete(seen)
    report.rejected = batches.rejected
    if report.created or report.updated:
        await directory.compact()
    logger.info("customers imported", extra=report.to_dict())
    return report


async def _check_cardinality(
    redis: Redis,
    keys: Keys,
    path: Path,
    found: dict[str, set[str]],
    settings: Settings,
) -> None:
    """Refuse the file when an indexed attribute would get more values than configured."""
    cap = settings.customers.max_values_per_attribute
    problems = []
    for name, values in sorted(found.items()):
        known = await awaited(redis.scard(keys.values(name)))
        if len(values) + known <= cap:
            continue
        existing = {v.decode() for v in await awaited(redis.smembers(keys.values(name)))}
        total = len(values | existing)
        if total > cap and total > len(existing):
            problems.append(
                f"column {name!r}: more than {cap} distinct values "
                "(customers.max_values_per_attribute); each value is an index of up to "
                "customers/8 bytes. List the attributes to index in "
                "customers.indexed_attributes (others are stored unindexed) or raise the limit"
            )
    if problems:
        raise FileRefused(f"{path}: attributes with too many values to index", problems)
