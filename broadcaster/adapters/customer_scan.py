"""The first pass of an import: how many rows, and how many distinct values each indexed
attribute would get, before anything is written (``[customers] max_values_per_attribute``)."""

from __future__ import annotations

import csv
import itertools
from collections.abc import Iterator
from dataclasses import dataclass

from broadcaster.adapters.customer_files import CustomerFile, csv_reader, rows
from broadcaster.domain.customers import CORE_FIELDS, IndexPolicy


@dataclass(slots=True)
class Scan:
    """What a first pass learns: the rows to expect, and the distinct values of each indexed
    attribute (at most ``cap + 1`` kept: enough to know the cap is exceeded)."""

    rows: int
    values: dict[str, set[str]]


SCAN_CHUNK = 10_000
Columns = tuple[int, dict[str, list[str]]]  # rows in a chunk, attribute -> its values


def scan(file: CustomerFile, policy: IndexPolicy, cap: int) -> Scan:
    """Count rows and collect distinct indexed values (column-wise for CSV: ~1 s a million)."""
    counted = Scan(0, {})
    for count, columns in _csv_columns(file) if file.format == "csv" else _json_columns(file):
        counted.rows += count
        for name, column in columns.items():
            seen = counted.values.setdefault(name, set())
            if policy.indexes(name) and len(seen) <= cap:
                seen.update(map(str.strip, column))
                seen.discard("")
    return counted


def _json_columns(file: CustomerFile) -> Iterator[Columns]:
    numbered = rows(file)
    while chunk := list(itertools.islice(numbered, SCAN_CHUNK)):
        columns: dict[str, list[str]] = {}
        for _, row in chunk:
            for name, value in row.attributes.items():
                columns.setdefault(name, []).append(value)
        yield len(chunk), columns


def _csv_columns(file: CustomerFile) -> Iterator[Columns]:
    width = len(file.columns)
    free = [(i, c) for i, c in enumerate(file.columns) if c not in CORE_FIELDS]
    with csv_reader(file) as reader:
        while True:
            try:
                chunk = list(itertools.islice(reader, SCAN_CHUNK))
            except csv.Error:
                continue  # the import pass rejects the row and names the line
            if not chunk:
                return
            good = [row[:width] for row in chunk if len(row) >= width]
            count = sum(1 for row in chunk if any(cell.strip() for cell in row))
            transposed = list(zip(*good, strict=True))
            yield count, {c: list(transposed[i]) for i, c in free} if good else {}
