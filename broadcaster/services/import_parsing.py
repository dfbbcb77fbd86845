"""Parse a customer file in a child process, one encoded batch at a time.

Why a process: validating a row (phone library included) costs ~25 µs of Python, about what
Redis spends applying it. In a thread, parsing holds the GIL and every round trip of the
writer waits for it (a batch took ~3x its Redis time); in a child process the two run on two
cores. The child writes the rejects file itself and sends each batch of encoded customers
through a pipe, whose small buffer is the back-pressure: the child is at most one batch ahead.
"""

from __future__ import annotations

import asyncio
import multiprocessing
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path

from broadcaster.adapters.customer_files import CustomerFile, RejectsFile, rows
from broadcaster.adapters.customer_records import UpsertBatch
from broadcaster.domain.customer_rows import CustomerParser, RowRules
from broadcaster.domain.customers import IndexPolicy
from broadcaster.errors import BroadcasterError


@dataclass(frozen=True)
class ParseJob:
    """Everything the child needs (picklable: the child starts from a fresh interpreter)."""

    file: CustomerFile
    rules: RowRules
    policy: IndexPolicy
    rejects: Path
    batch_size: int


@dataclass
class Batch:
    """Encoded customers (``UpsertBatch.args()``) with their line numbers; ``rows``: rows
    read, rejected ones included."""

    encoded: list[bytes | str] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    rows: int = 0


@dataclass(frozen=True)
class Finished:
    rejected: int


@dataclass(frozen=True)
class Failed:
    message: str


def produce(job: ParseJob, conn: Connection) -> None:
    """The child's work: every batch, then ``Finished`` (or ``Failed``), then exit."""
    try:
        parse = CustomerParser(job.rules).parse
        with RejectsFile.create(job.rejects) as rejects:
            batch, customers = Batch(), UpsertBatch(job.policy)
            for line, raw in rows(job.file):
                batch.rows += 1
                customer = parse(raw)
                if isinstance(customer, list):
                    rejects.add(line, raw.customer_id, customer)
                    continue
                customers.add(customer)
                batch.lines.append(line)
                if len(customers) >= job.batch_size or customers.full:
                    batch.encoded = customers.args()
                    conn.send(batch)
                    batch, customers = Batch(), UpsertBatch(job.policy)
            if batch.rows:
                batch.encoded = customers.args() if len(customers) else []
                conn.send(batch)
        conn.send(Finished(rejects.count))
    except Exception as exc:  # reported to the parent, which raises it
        conn.send(Failed(f"{type(exc).__name__}: {exc}"))
    finally:
        conn.close()


class ParsedBatches:
    """Batches from a child process, in file order; ``rejected`` is set at the end."""

    def __init__(self, job: ParseJob) -> None:
        self._job = job
        self.rejected = 0

    async def __aiter__(self) -> AsyncIterator[Batch]:
        # forkserver: a clean child without this process's threads, sockets and event loop,
        # forked from a server that has this module imported already (~20 ms, not ~1 s)
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload([__name__])
        receiver, sender = context.Pipe(duplex=False)
        child = context.Process(target=produce, args=(self._job, sender), daemon=True)
        child.start()
        sender.close()
        try:
            while True:
                message = await asyncio.to_thread(_receive, receiver)
                if isinstance(message, Failed):
                    raise BroadcasterError(f"reading the customer file failed: {message.message}")
                if isinstance(message, Finished):
                    self.rejected = message.rejected
                    return
                yield message
        finally:
            receiver.close()
            if child.is_alive():
                child.terminate()
            await asyncio.to_thread(child.join)


def _receive(conn: Connection) -> Batch | Finished | Failed:
    try:
        message: Batch | Finished | Failed = conn.recv()
    except EOFError:
        return Failed("the parsing process ended unexpectedly")
    return message
