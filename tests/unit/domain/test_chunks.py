"""The chunk window keeps the send order close to the tier order."""

from broadcaster.domain.chunks import chunks_to_run


def test_only_the_first_chunks_with_untried_recipients_run():
    pending = [False, True, True, True, True, True]
    waiting = [False] * 6
    assert chunks_to_run(pending, waiting, window=2) == [1, 2]


def test_chunks_with_waiting_recipients_always_run():
    pending = [False, False, True, True, True]
    waiting = [True, False, False, False, True]
    assert chunks_to_run(pending, waiting, window=1) == [0, 2, 4]


def test_a_window_of_zero_still_makes_progress():
    assert chunks_to_run([True, True], [False, False], window=0) == [0]
    assert chunks_to_run([], [], window=4) == []
