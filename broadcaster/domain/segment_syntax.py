"""The segment file syntax: a TOML table becomes a ``Segment``, or every problem in it.

A condition table holds when all of its entries hold. An entry is either an attribute with a
value spec, or one of the words ``any_of`` / ``all_of`` (a list of condition tables) and
``not`` (a condition table)::

    [match]
    service = "fiber"                           # equals
    region = ["jkt-selatan", "jkt-timur"]       # in: any of the values
    site = { prefix = "JKT-" }                  # starts with (a string or a list)
    plan = { not = ["staff", "test"] }          # not equals / not in
    any_of = [{ tier = "platinum" }, { site = { prefix = "BDG-" } }]
    not = { region = "jkt-utara", service = "mobile" }

A value spec is a string, a non-empty list of strings, or a table of operators ``equals``,
``in``, ``prefix`` and ``not`` (whose value is again a value spec); several operators in one
table must all hold. Problems read ``<where>: <key path>: <what>``; misspelt keys get a
"did you mean".
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from broadcaster.domain.customer_rows import did_you_mean
from broadcaster.domain.customers import ATTRIBUTE_NAME, LANGUAGE_ATTRIBUTE, TIER_ATTRIBUTE
from broadcaster.domain.segments import EVERYONE, AllOf, AnyOf, Equals, Not, Prefix, Rule, Segment

SEGMENT_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")
LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]{0,127}$")
TOP_KEYS = ("name", "description", "match", "from_labels")
OPERATORS = ("equals", "in", "prefix", "not")
LIST_WORDS = ("any_of", "all_of")
# customer fields that are stored but never indexed: no segment can select on them
UNSELECTABLE = frozenset({"customer_id", "phone", "opt_in", "name", "timezone"})


class _Problems:
    def __init__(self, where: str, known: frozenset[str] | None) -> None:
        self.where = where
        self.known = known
        self.lines: list[str] = []

    def add(self, path: str, what: str) -> None:
        self.lines.append(f"{self.where}: {path}: {what}")

    def attribute(self, path: str, name: str) -> bool:
        """Whether ``name`` can be selected on; names the problem when it cannot."""
        if not ATTRIBUTE_NAME.match(name):
            self.add(path, "attribute names are lower-case letters, digits and _")
        elif name in UNSELECTABLE:
            self.add(path, f"{name!r} is not indexed; select on attributes, tier or language")
        elif self.known is not None and name not in self.known:
            self.add(path, "unknown attribute" + did_you_mean(name, self.known))
        else:
            return True
        return False


def parse_segment(
    raw: Mapping[str, Any], where: str, known_attributes: frozenset[str] | None = None
) -> tuple[Segment | None, list[str]]:
    """``known_attributes``: when given, the attributes a rule may name (tier and language
    are always known); a name outside it is reported, with the closest known one."""
    known = None
    if known_attributes is not None:
        known = known_attributes | {TIER_ATTRIBUTE, LANGUAGE_ATTRIBUTE}
    problems = _Problems(where, known)
    for key in sorted(set(raw) - set(TOP_KEYS)):
        problems.add(key, "unknown key" + did_you_mean(key, TOP_KEYS))
    name = raw.get("name")
    if not isinstance(name, str) or not SEGMENT_NAME.match(name):
        problems.add("name", "required; lower-case letters, digits, '-', '_', '.'")
    description = raw.get("description", "")
    if not isinstance(description, str):
        problems.add("description", "expected a string")
    rule = _table(raw.get("match", {}), "match", problems)
    from_labels = _from_labels(raw.get("from_labels", {}), problems)
    if problems.lines:
        return None, problems.lines
    return Segment(str(name), str(description), rule, from_labels), []


def _table(raw: Any, path: str, problems: _Problems) -> Rule:
    if not isinstance(raw, dict):
        problems.add(path, "expected a table of conditions")
        return EVERYONE
    rules: list[Rule] = []
    for key, value in sorted(raw.items()):
        here = f"{path}.{key}"
        if key in LIST_WORDS:
            rules.append(_list(key, value, here, problems))
        elif key == "not":
            rules.append(Not(_table(value, here, problems)))
        elif problems.attribute(here, key):
            rules.append(_spec(key, value, here, problems))
    return rules[0] if len(rules) == 1 else AllOf(tuple(rules))


def _list(word: str, raw: Any, path: str, problems: _Problems) -> Rule:
    if not isinstance(raw, list) or not raw:
        problems.add(path, "expected a non-empty list of condition tables")
        return EVERYONE
    rules = tuple(_table(item, f"{path}[{i}]", problems) for i, item in enumerate(raw))
    return AnyOf(rules) if word == "any_of" else AllOf(rules)


def _spec(attribute: str, raw: Any, path: str, problems: _Problems) -> Rule:
    if not isinstance(raw, dict):
        return Equals(attribute, _strings(raw, path, problems))
    if not raw:
        problems.add(path, "expected at least one of " + ", ".join(OPERATORS))
    rules: list[Rule] = []
    for operator, value in sorted(raw.items()):
        here = f"{path}.{operator}"
        if operator in ("equals", "in"):
            rules.append(Equals(attribute, _strings(value, here, problems)))
        elif operator == "prefix":
            rules.append(Prefix(attribute, _strings(value, here, problems)))
        elif operator == "not":
            rules.append(Not(_spec(attribute, value, here, problems)))
        else:
            problems.add(here, "unknown operator" + did_you_mean(operator, OPERATORS))
    return rules[0] if len(rules) == 1 else AllOf(tuple(rules))


def _strings(raw: Any, path: str, problems: _Problems) -> tuple[str, ...]:
    values = [raw] if isinstance(raw, str) else raw
    if (
        not isinstance(values, list)
        or not values
        or not all(isinstance(v, str) and v.strip() for v in values)
    ):
        problems.add(path, "expected a non-empty string or a non-empty list of them")
        return ()
    return tuple(values)


def _from_labels(raw: Any, problems: _Problems) -> dict[str, str]:
    if not isinstance(raw, dict):
        problems.add("from_labels", 'expected a table of label = "attribute"')
        return {}
    out: dict[str, str] = {}
    for label, attribute in sorted(raw.items()):
        here = f"from_labels.{label}"
        if not LABEL_NAME.match(label):
            problems.add(here, "not a valid label name")
        elif not isinstance(attribute, str):
            problems.add(here, "expected the name of a customer attribute")
        elif problems.attribute(here, attribute):
            out[label] = attribute
    return out
