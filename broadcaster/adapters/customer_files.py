"""Customer files (CSV with a header, or JSON Lines): checked whole, then streamed row by row.

``open_customer_file`` decides whether a file is a customer file at all, reading it through
once in binary (a few hundred MB/s): empty, binary (NUL bytes), UTF-16/32 or not UTF-8, a CSV
header without the required columns, a first JSON line that is not an object: each refuses
the whole file before anything is written. ``rows`` then yields one ``RawCustomer`` per row,
with the row's line number, holding a single row in memory at a time.
"""

from __future__ import annotations

import _csv
import contextlib
import csv
import json
import operator
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, TextIO

from broadcaster.domain.customer_rows import RawCustomer, from_json
from broadcaster.domain.customers import (
    CORE_FIELDS,
    REQUIRED_FIELDS,
    attribute_name_problem,
)
from broadcaster.errors import InputError

Format = Literal["csv", "jsonl"]
FORMATS: tuple[Format, ...] = ("csv", "jsonl")
EXTENSIONS: dict[str, Format] = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
}
DELIMITERS = (",", ";", "\t", "|")
CHUNK_BYTES = 1 << 20
MAX_LINE_BYTES = 16 << 20
_SEPARATORS = re.compile(r"[\s\-.]+")


class FileRefused(InputError):
    """The file is not a customer file at all; nothing of it was imported."""

    code = "file_refused"


@dataclass(frozen=True, slots=True)
class CustomerFile:
    path: Path
    format: Format
    delimiter: str = ","
    columns: tuple[str, ...] = ()  # CSV header, normalised


def column_name(header: str) -> str:
    """``" Customer ID "`` -> ``customer_id``: CRM headers, read leniently."""
    return _SEPARATORS.sub("_", header.strip().lower())


def open_customer_file(path: Path, fmt: Format | None = None) -> CustomerFile:
    """Check ``path`` is a customer file; raise ``FileRefused`` naming why it is not."""
    _check_bytes(path)
    fmt = fmt or EXTENSIONS.get(path.suffix.lower()) or _sniff(path)
    if fmt == "jsonl":
        _check_first_record(path)
        return CustomerFile(path, "jsonl")
    delimiter, columns = _header(path)
    return CustomerFile(path, "csv", delimiter, columns)


def rows(file: CustomerFile) -> Iterator[tuple[int, RawCustomer]]:
    """(line number, row) for every non-blank data row of ``file``."""
    if file.format == "jsonl":
        return _json_rows(file)
    return _csv_rows(file)


def _check_bytes(path: Path) -> None:
    """Refuse empty, binary, UTF-16/32 and non-UTF-8 files, naming the first bad line."""
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise FileRefused(f"{path}: cannot read: {exc.strerror}") from exc
    with handle:
        head = handle.read(4)
        if head.startswith((b"\xff\xfe", b"\xfe\xff")):
            raise FileRefused(f"{path}: UTF-16/32 text; export the file as UTF-8")
        handle.seek(0)
        line, carry, blank = 1, b"", True
        while chunk := handle.read(CHUNK_BYTES):
            if b"\0" in chunk:
                where = line + (carry + chunk[: chunk.index(b"\0")]).count(b"\n")
                raise FileRefused(f"{path}: line {where}: NUL byte: a binary file, not CSV/JSONL")
            data = carry + chunk
            cut = data.rfind(b"\n") + 1
            whole, carry = data[:cut], data[cut:]
            if len(carry) > MAX_LINE_BYTES:
                raise FileRefused(f"{path}: line {line}: longer than {MAX_LINE_BYTES} bytes")
            line = _decode(path, whole, line)
            blank = blank and not data.strip(b"\xef\xbb\xbf \t\r\n")
        _decode(path, carry, line)
    if blank:
        raise FileRefused(f"{path}: empty file")


def _decode(path: Path, data: bytes, line: int) -> int:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        where = line + data[: exc.start].count(b"\n")
        bad = data[exc.start : exc.start + 1].hex()
        raise FileRefused(
            f"{path}: line {where}: byte 0x{bad} is not UTF-8; export the file as UTF-8"
        ) from exc
    return line + data.count(b"\n")


def _first_line(path: Path) -> tuple[int, str]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for number, text in enumerate(handle, 1):
            if text.strip():
                return number, text
    raise FileRefused(f"{path}: empty file")  # pragma: no cover - _check_bytes refused it


def _sniff(path: Path) -> Format:
    return "jsonl" if _first_line(path)[1].lstrip().startswith(("{", "[")) else "csv"


def _check_first_record(path: Path) -> None:
    number, text = _first_line(path)
    if text.lstrip().startswith("["):
        raise FileRefused(f"{path}: a JSON array; expected JSON Lines (one object per line)")
    try:
        first = json.loads(text)
    except ValueError as exc:
        raise FileRefused(f"{path}: line {number}: not JSON Lines: {exc}") from exc
    if not isinstance(first, dict) or not set(first) & set(REQUIRED_FIELDS):
        raise FileRefused(
            f"{path}: line {number}: not a customer record; "
            f"expected an object with {', '.join(REQUIRED_FIELDS)}"
        )


def _header(path: Path) -> tuple[str, tuple[str, ...]]:
    """The delimiter that yields the required columns, and the normalised header."""
    number, text = _first_line(path)
    best: tuple[str, tuple[str, ...]] | None = None
    for delimiter in DELIMITERS:
        cells = [column_name(c) for c in next(csv.reader([text], delimiter=delimiter))]
        while cells and not cells[-1]:
            cells.pop()  # spreadsheets export empty trailing columns
        columns = tuple(cells)
        if set(REQUIRED_FIELDS) <= set(columns):
            best = (delimiter, columns)
            break
        if best is None or len(columns) > len(best[1]):
            best = (delimiter, columns)
    assert best is not None
    problems = _header_problems(best[1])
    if problems:
        raise FileRefused(f"{path}: line {number}: not a customer file header", problems)
    return best


def _header_problems(columns: tuple[str, ...]) -> list[str]:
    problems = []
    missing = [c for c in REQUIRED_FIELDS if c not in columns]
    if missing:
        shown = ", ".join(columns)[:200]
        problems.append(f"missing required columns {', '.join(missing)} (header: {shown})")
    for position, name in enumerate(columns, 1):
        if columns.index(name) != position - 1:
            problems.append(f"column {position}: {name!r} appears twice")
        elif name in CORE_FIELDS:
            continue
        elif not name:
            problems.append(f"column {position}: no name")
        elif (problem := attribute_name_problem(name)) is not None:
            problems.append(f"column {position}: {name!r}: {problem}")
    return problems


def _csv_rows(file: CustomerFile) -> Iterator[tuple[int, RawCustomer]]:
    width = len(file.columns)
    core = _picker(file.columns, [c for c in file.columns if c in CORE_FIELDS])
    free = _picker(file.columns, [c for c in file.columns if c not in CORE_FIELDS])
    id_at = file.columns.index("customer_id")
    with csv_reader(file) as reader:
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                yield reader.line_num, RawCustomer({}, {}, (f"not a valid CSV row: {exc}",))
                continue
            if len(row) > width and not any(cell.strip() for cell in row[width:]):
                row = row[:width]  # empty trailing cells (see _header)
            if len(row) != width:
                if any(cell.strip() for cell in row):
                    found = {"customer_id": row[id_at]} if len(row) > id_at else {}
                    problem = f"expected {width} fields, got {len(row)}"
                    yield reader.line_num, RawCustomer(found, {}, (problem,))
                continue
            row.append("")  # the padding cell the pickers read
            yield reader.line_num, RawCustomer(core(row), free(row))


def _picker(columns: tuple[str, ...], names: list[str]) -> Callable[[list[str]], dict[str, str]]:
    """``row -> {name: cell}`` for ``names``, picking the cells in one C call. The getter also
    reads a padding cell after the last column, so it always returns a tuple (one index alone
    would return a bare string); zip drops it."""
    get = operator.itemgetter(*(columns.index(n) for n in names), len(columns))
    return lambda row: dict(zip(names, get(row), strict=False))


def _json_rows(file: CustomerFile) -> Iterator[tuple[int, RawCustomer]]:
    with file.path.open(encoding="utf-8-sig") as handle:
        for number, text in enumerate(handle, 1):
            if not text.strip():
                continue
            try:
                item = json.loads(text)
            except ValueError as exc:
                yield number, RawCustomer({}, {}, (f"not valid JSON: {exc}",))
                continue
            yield number, from_json(item)


@contextlib.contextmanager
def csv_reader(file: CustomerFile) -> Iterator[_csv.Reader]:
    """A csv.reader positioned after the header (leading blank lines skipped)."""
    with file.path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle, delimiter=file.delimiter)
        for header in reader:
            if header:
                break
        yield reader


class RejectsFile:
    """The rows an import rejected, as CSV: ``line,customer_id,reason`` (reasons joined by
    ``"; "``). Always written, header included, so an old file never outlives its import."""

    def __init__(self, handle: TextIO) -> None:
        self._handle = handle
        self._writer = csv.writer(handle)
        self._writer.writerow(["line", "customer_id", "reason"])
        self.count = 0

    @classmethod
    @contextlib.contextmanager
    def create(cls, path: Path) -> Iterator[RejectsFile]:
        try:
            handle = path.open("w", encoding="utf-8", newline="")
        except OSError as exc:
            raise InputError(f"cannot write the rejects file {path}: {exc.strerror}") from exc
        with handle:
            yield cls(handle)

    def add(self, line: int, customer_id: str, problems: list[str]) -> None:
        self.count += 1
        self._writer.writerow([line, customer_id, "; ".join(problems)])
