"""A customer always gets the same sender number; adding a number moves only a share."""

from __future__ import annotations

from broadcaster.domain.senders import choose_sender


def test_one_number_serves_everybody():
    assert choose_sender("c1", ["111"]) == "111"


def test_the_choice_is_stable_and_spread():
    numbers = ["111", "222", "333"]
    choices = {f"c{i}": choose_sender(f"c{i}", numbers) for i in range(300)}
    assert choices == {c: choose_sender(c, list(reversed(numbers))) for c in choices}
    assert set(choices.values()) == set(numbers)


def test_adding_a_number_moves_only_customers_to_the_new_number():
    before = {f"c{i}": choose_sender(f"c{i}", ["111", "222"]) for i in range(300)}
    after = {c: choose_sender(c, ["111", "222", "333"]) for c in before}
    moved = {c for c in before if before[c] != after[c]}
    assert moved
    assert {after[c] for c in moved} == {"333"}
