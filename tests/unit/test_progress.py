"""The import's progress: a bar on a terminal, periodic log lines otherwise."""

from __future__ import annotations

import io
import logging

import pytest

from broadcaster.cli.progress import Progress


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_terminal_gets_a_bar_redrawn_in_place():
    out, clock = io.StringIO(), Clock()
    progress = Progress(out, interactive=True, clock=clock)
    clock.now += 1
    progress(500, 1000)
    progress(600, 1000)  # too soon: not redrawn
    clock.now += 1
    progress(1000, 1000)
    assert out.getvalue().endswith(" rows/s\n"), "the finished bar ends its own line"
    progress.close()
    frames = out.getvalue().split("\r")[1:]
    assert len(frames) == 2
    assert frames[0].startswith("[" + "#" * 15 + " " * 15 + "]  50%  500/1,000 rows  500 rows/s")
    assert frames[1].startswith("[" + "#" * 30 + "] 100%  1,000/1,000 rows")
    assert out.getvalue().count("\n") == 1


def test_a_bar_left_unfinished_is_ended_on_close():
    out, clock = io.StringIO(), Clock()
    progress = Progress(out, interactive=True, clock=clock)
    clock.now += 1
    progress(10, 1000)
    progress.close()
    assert out.getvalue().endswith("rows/s\n")


def test_elsewhere_a_log_line_every_few_seconds(caplog: pytest.LogCaptureFixture):
    out, clock = io.StringIO(), Clock()
    progress = Progress(out, interactive=False, log_every=5, clock=clock)
    with caplog.at_level(logging.INFO, logger="broadcaster.cli.progress"):
        for second in range(1, 13):
            clock.now += 1
            progress(second * 10, 1000)
        progress(1000, 1000)
    progress.close()
    assert out.getvalue() == ""
    assert [r.rows for r in caplog.records] == [50, 100, 1000]  # type: ignore[attr-defined]
