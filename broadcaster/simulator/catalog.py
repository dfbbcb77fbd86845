"""Approved message templates: what the simulator's WhatsApp Business Account has on file.

A template is described by its parameter shape (how many ``{{n}}`` in the header and body,
which buttons) rather than by Meta's full component JSON: that is what a send is checked
against. ``TemplateCatalog`` indexes them once by ``(name, language)`` so a send is one
dictionary lookup.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

CATEGORIES: Final = frozenset({"UTILITY", "MARKETING", "AUTHENTICATION"})
BUTTON_TYPES: Final = frozenset({"quick_reply", "url"})
PARAMETER_FORMATS: Final = frozenset({"POSITIONAL", "NAMED"})
# Meta's placeholders: {{1}}..{{n}} (positional) or {{lower_snake}} (named).
_PLACEHOLDER = re.compile(r"\{\{\s*([a-z0-9_]+)\s*\}\}")


@dataclass(frozen=True)
class ApprovedTemplate:
    """One template translation as Meta holds it.

    Buttons: ``buttons`` lists button types in index order. A URL button is dynamic (one
    ``{{1}}`` suffix parameter, Meta's maximum) when ``url_button_params`` is 1, static when it
    is 0; the value applies to every URL button of the template. Quick-reply buttons take an
    optional ``payload`` parameter. ``header_params``/``body_params`` are inferred from
    ``header_text``/``body_text`` when left at 0; a text given with a different count is an
    error. Only ``status == "APPROVED"`` can be sent.
    """

    name: str
    language: str
    category: str = "UTILITY"
    status: str = "APPROVED"
    header_params: int = 0
    body_params: int = 0
    buttons: tuple[str, ...] = ()
    url_button_params: int = 0
    body_text: str = ""
    header_text: str = ""
    footer_text: str = ""
    parameter_format: str = "POSITIONAL"
    button_labels: tuple[str, ...] = ()
    button_url: str = "https://example.com/status/"

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "category", self.category.upper())
        set_(self, "status", self.status.upper())
        set_(self, "parameter_format", self.parameter_format.upper())
        set_(self, "buttons", tuple(b.lower() for b in self.buttons))
        set_(self, "button_labels", tuple(self.button_labels))
        set_(self, "header_params", _param_count(self, "header", self.header_text))
        set_(self, "body_params", _param_count(self, "body", self.body_text))
        problems = _problems(self)
        if problems:
            raise ValueError(f"template {self.name!r}/{self.language!r}: " + "; ".join(problems))

    @property
    def header_names(self) -> tuple[str, ...]:
        return placeholders(self.header_text)

    @property
    def body_names(self) -> tuple[str, ...]:
        return placeholders(self.body_text)


def placeholders(text: str) -> tuple[str, ...]:
    """Distinct placeholder names of ``text`` in order of first appearance."""
    return tuple(dict.fromkeys(_PLACEHOLDER.findall(text)))


def _param_count(template: ApprovedTemplate, part: str, text: str) -> int:
    given: int = getattr(template, f"{part}_params")
    found = len(placeholders(text))
    if text and given not in (0, found):
        raise ValueError(
            f"template {template.name!r}/{template.language!r}: {part}_params={given} "
            f"but {part}_text has {found} placeholders"
        )
    return given or found


def _problems(t: ApprovedTemplate) -> list[str]:
    out = []
    if t.category not in CATEGORIES:
        out.append(f"category must be one of {sorted(CATEGORIES)}")
    if t.parameter_format not in PARAMETER_FORMATS:
        out.append(f"parameter_format must be one of {sorted(PARAMETER_FORMATS)}")
    if unknown := set(t.buttons) - BUTTON_TYPES:
        out.append(f"unknown button types {sorted(unknown)}")
    if t.header_params not in (0, 1):
        out.append("a TEXT header has at most one parameter")
    if t.url_button_params not in (0, 1):
        out.append("a URL button has at most one parameter (a suffix)")
    if t.body_params < 0:
        out.append("body_params must be >= 0")
    return out + _placeholder_problems(t)


def _placeholder_problems(t: ApprovedTemplate) -> list[str]:
    if t.parameter_format == "NAMED":
        if (t.body_params and not t.body_text) or (t.header_params and not t.header_text):
            return ["a NAMED template needs header_text/body_text naming its parameters"]
        return []
    out = []
    for part in ("header_text", "body_text"):
        names = placeholders(getattr(t, part))
        expected = [str(i) for i in range(1, len(names) + 1)]
        if names and sorted(names, key=lambda n: (len(n), n)) != expected:
            out.append(f"{part} placeholders must be {{{{1}}}}..{{{{n}}}} without gaps")
    return out


@dataclass(frozen=True, slots=True)
class TemplateShape:
    """A template plus what a send check needs, computed once."""

    template: ApprovedTemplate
    body_literal_len: int
    # placeholder name per occurrence in the body, to compute the filled-in length
    body_slots: tuple[str, ...]
    header_names: tuple[str, ...]
    body_names: tuple[str, ...]

    @classmethod
    def of(cls, template: ApprovedTemplate) -> TemplateShape:
        slots = tuple(_PLACEHOLDER.findall(template.body_text))
        literal = len(_PLACEHOLDER.sub("", template.body_text))
        header = template.header_names or _positional(template.header_params)
        body = template.body_names or _positional(template.body_params)
        return cls(template, literal, slots, header, body)

    def filled_body_len(self, values: Mapping[str, str]) -> int:
        """Length of the body once ``values`` (placeholder name -> text) are filled in."""
        if not self.body_slots:
            return sum(len(v) for v in values.values())
        return self.body_literal_len + sum(len(values.get(s, "")) for s in self.body_slots)


def _positional(count: int) -> tuple[str, ...]:
    return tuple(str(i) for i in range(1, count + 1))


@dataclass
class TemplateCatalog:
    """Templates indexed by ``(name, language)``; language codes match exactly (en != en_US)."""

    templates: tuple[ApprovedTemplate, ...]
    _index: dict[tuple[str, str], TemplateShape] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._index = {(t.name, t.language): TemplateShape.of(t) for t in self.templates}

    def find(self, name: str, language: str) -> TemplateShape | None:
        return self._index.get((name, language))

    def __iter__(self) -> Iterator[ApprovedTemplate]:
        return iter(self.templates)


_FIELDS = {f.name for f in dataclasses.fields(ApprovedTemplate)}


def template_from_mapping(raw: Mapping[str, Any]) -> ApprovedTemplate:
    """An ``ApprovedTemplate`` from a JSON object with the same field names."""
    if unknown := set(raw) - _FIELDS:
        raise ValueError(f"unknown template fields {sorted(unknown)}")
    values = dict(raw)
    for name in ("buttons", "button_labels"):
        if name in values:
            values[name] = tuple(values[name])
    return ApprovedTemplate(**values)


def load_templates_json(path: Path) -> tuple[ApprovedTemplate, ...]:
    """Templates from a JSON list of objects named like ``ApprovedTemplate``'s fields."""
    raw = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(raw, list) or not all(isinstance(item, dict) for item in raw):
        raise ValueError(f"{path}: expected a JSON list of template objects")
    return templates_from(raw)


def templates_from(items: Iterable[Mapping[str, Any]]) -> tuple[ApprovedTemplate, ...]:
    return tuple(template_from_mapping(item) for item in items)
