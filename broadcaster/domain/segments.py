"""Segments: named rules over customer attributes, plus incident-label scoping.

A rule is a small boolean tree (``Equals``/``Prefix`` leaves under ``AllOf``/``AnyOf``/``Not``).
The directory evaluates it with set algebra over its attribute indexes; ``matches`` evaluates
the same tree on one customer's attributes, so the two can be checked against each other.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from broadcaster.errors import InputError


@dataclass(frozen=True, slots=True)
class Equals:
    """``attribute`` equals any of ``values``."""

    attribute: str
    values: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Prefix:
    """``attribute`` starts with any of ``prefixes``."""

    attribute: str
    prefixes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AllOf:
    rules: tuple[Rule, ...]


@dataclass(frozen=True, slots=True)
class AnyOf:
    rules: tuple[Rule, ...]


@dataclass(frozen=True, slots=True)
class Not:
    rule: Rule


Rule = Equals | Prefix | AllOf | AnyOf | Not
EVERYONE = AllOf(())


@dataclass(frozen=True, slots=True)
class Segment:
    name: str
    description: str = ""
    rule: Rule = EVERYONE
    # incident label -> customer attribute: an incident labelled region=x narrows to region x
    from_labels: Mapping[str, str] = field(default_factory=dict)

    def selection(self, labels: Mapping[str, str]) -> Rule:
        """This segment's rule narrowed by the incident's labels it maps."""
        scoped = tuple(
            Equals(attribute, (labels[label],))
            for label, attribute in sorted(self.from_labels.items())
            if labels.get(label)
        )
        return AllOf((self.rule, *scoped)) if scoped else self.rule

    def to_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "description": self.description,
            "rule": describe(self.rule),
            "attributes": sorted(attributes_of(self.rule)),
            "from_labels": dict(self.from_labels),
        }


def matches(rule: Rule, attributes: Mapping[str, str]) -> bool:
    """Evaluate ``rule`` on one customer's attributes (the reference semantics)."""
    match rule:
        case Equals(attribute, values):
            return attributes.get(attribute) in values
        case Prefix(attribute, prefixes):
            value = attributes.get(attribute)
            return value is not None and value.startswith(prefixes)
        case AllOf(rules):
            return all(matches(r, attributes) for r in rules)
        case AnyOf(rules):
            return any(matches(r, attributes) for r in rules)
        case Not(inner):
            return not matches(inner, attributes)
    raise TypeError(f"not a rule: {rule!r}")  # pragma: no cover - exhaustive over Rule


def attributes_of(rule: Rule) -> frozenset[str]:
    """Every attribute ``rule`` reads."""
    match rule:
        case Equals(attribute, _) | Prefix(attribute, _):
            return frozenset({attribute})
        case AllOf(rules) | AnyOf(rules):
            return frozenset().union(*(attributes_of(r) for r in rules))
        case Not(inner):
            return attributes_of(inner)
    raise TypeError(f"not a rule: {rule!r}")  # pragma: no cover - exhaustive over Rule


def describe(rule: Rule) -> str:
    """A one-line reading of ``rule`` for people: ``service = fiber and region in [a, b]``."""
    match rule:
        case Equals(attribute, (value,)):
            return f"{attribute} = {value}"
        case Equals(attribute, values):
            return f"{attribute} in [{', '.join(values)}]"
        case Prefix(attribute, prefixes):
            return " or ".join(f"{attribute} starts with {p}" for p in prefixes)
        case AllOf(()):
            return "everyone"
        case AllOf(rules):
            return " and ".join(_grouped(r) for r in rules)
        case AnyOf(rules):
            return " or ".join(_grouped(r) for r in rules)
        case Not(inner):
            return f"not {_grouped(inner)}"
    raise TypeError(f"not a rule: {rule!r}")  # pragma: no cover - exhaustive over Rule


def _grouped(rule: Rule) -> str:
    text = describe(rule)
    if isinstance(rule, AnyOf | AllOf) and len(rule.rules) > 1:
        return f"({text})"
    if isinstance(rule, Prefix) and len(rule.prefixes) > 1:
        return f"({text})"
    return text


def parse_labels(pairs: Iterable[str] | None) -> dict[str, str]:
    """``["region=bdg", "site=BDG-01"]`` -> labels, as an alert would carry them."""
    out = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise InputError(f"label: expected key=value, got {pair!r}")
        out[key] = value
    return out


def union(rules: list[Rule]) -> Rule:
    """Customers selected by any of ``rules`` (an incident naming several segments)."""
    return rules[0] if len(rules) == 1 else AnyOf(tuple(rules))
