"""The parsing side of an import: batches in file order, rejects written, failures reported."""

from __future__ import annotations

import multiprocessing

import pytest

from broadcaster.adapters.customer_files import open_customer_file
from broadcaster.adapters.customer_records import decode
from broadcaster.config import Settings
from broadcaster.domain.customers import IndexPolicy
from broadcaster.errors import BroadcasterError
from broadcaster.services.customer_rules import row_rules
from broadcaster.services.import_parsing import (
    Batch,
    Failed,
    Finished,
    ParsedBatches,
    ParseJob,
    _receive,
    produce,
)
from tests.integration.conftest import write

CSV = (
    "customer_id,phone,opt_in,region\n"
    "C1,081234567801,true,bdg\n"
    "C2,nope,true,bdg\n"
    "C3,081234567803,false,sby\n"
    "C4,081234567804,true,sby\n"
)


def job(tmp_path, path, size=2) -> ParseJob:
    return ParseJob(
        open_customer_file(path), row_rules(Settings()), IndexPolicy(), tmp_path / "r.csv", size
    )


def test_the_parser_sends_batches_in_order_then_how_many_it_rejected(tmp_path):
    receiver, sender = multiprocessing.Pipe(duplex=False)
    produce(job(tmp_path, write(tmp_path, "c.csv", CSV)), sender)
    first, second, done = (_receive(receiver) for _ in range(3))
    assert isinstance(first, Batch)
    assert isinstance(second, Batch)
    entries = int(first.encoded[0])
    items = [i for i in first.encoded[1 + entries :] if isinstance(i, bytes)]
    records = [decode(i[10 + 2 * int.from_bytes(i[8:10], "big") :]) for i in items]
    assert [r.customer_id for r in records] == ["C1", "C3"]
    assert first.encoded[1:3] == ["tier\x1fstandard", "language\x1fid"]
    assert (first.lines, first.rows) == ([2, 4], 3)
    assert (second.lines, second.rows) == ([5], 1)
    assert done == Finished(rejected=1)
    assert (tmp_path / "r.csv").read_text().splitlines()[1].startswith("3,C2,phone:")


def test_a_failure_while_reading_is_sent_to_the_parent(tmp_path):
    path = write(tmp_path, "c.jsonl", '{"customer_id": "C1", "phone": "1", "opt_in": true}\n')
    parse_job = job(tmp_path, path)
    path.unlink()
    receiver, sender = multiprocessing.Pipe(duplex=False)
    produce(parse_job, sender)
    message = _receive(receiver)
    assert isinstance(message, Failed)
    assert message.message.startswith("FileNotFoundError")
    assert isinstance(_receive(receiver), Failed), "a closed pipe reads as a failure"


async def test_the_parent_raises_what_the_child_reported(tmp_path):
    path = write(tmp_path, "c.csv", CSV)
    parse_job = job(tmp_path, path)
    path.unlink()
    with pytest.raises(BroadcasterError, match="reading the customer file failed"):
        async for _ in ParsedBatches(parse_job):
            pass


def test_rows_the_csv_reader_cannot_read_are_rejected_with_their_line(tmp_path):
    text = (
        CSV + "C6,0812\n" + 'C7,"' + "x" * 200_000 + '",true,bdg\n' + "C8,081234567808,true,bdg\n"
    )
    receiver, sender = multiprocessing.Pipe(duplex=False)
    produce(job(tmp_path, write(tmp_path, "c.csv", text), size=100), sender)
    batch, done = _receive(receiver), _receive(receiver)
    assert isinstance(batch, Batch)
    assert batch.lines == [2, 4, 5, 8]
    assert done == Finished(rejected=3)
    reasons = (tmp_path / "r.csv").read_text().splitlines()[2:]
    assert reasons[0] == '6,C6,"expected 4 fields, got 2"'
    assert reasons[1].startswith("7,,not a valid CSV row: field larger than field limit")
