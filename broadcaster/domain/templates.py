"""WhatsApp message templates as we hold them: what Meta approved, plus how to fill it.

A ``MessageTemplate`` mirrors one approved template translation (name, language code,
category, texts with positional ``{{1}}`` placeholders) and lists, per component, the
expressions that produce each parameter. The rules Meta enforces on parameter values live
here too, so a message is sanitised before it can earn a 132018 or a 132005.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache

PLACEHOLDER = re.compile(r"\{\{\s*(\d+)\s*\}\}")
TEMPLATE_NAME = re.compile(r"^[a-z0-9_]{1,512}$")
_WHITESPACE_RUN = re.compile(r"[ \u00a0]{2,}")
_LINE_BREAKS = re.compile(r"[\r\n\t\v\f]+")

BODY_LIMIT = 1024
HEADER_LIMIT = 60
FOOTER_LIMIT = 60
PARAM_LIMIT = 1024  # one body parameter can never exceed the whole body


class Kind(StrEnum):
    """Message kinds: CONTRACT.md's report keys."""

    NOTICE = "notice"
    UPDATE = "update"
    RESOLUTION = "resolution"
    VOUCHER = "voucher"
    FOLLOW_UP = "follow_up"
    REPLY = "reply"


class Category(StrEnum):
    UTILITY = "UTILITY"
    MARKETING = "MARKETING"
    AUTHENTICATION = "AUTHENTICATION"


@dataclass(frozen=True, slots=True)
class Button:
    """A template button that takes a parameter: quick-reply payload or URL suffix."""

    type: str  # "quick_reply" | "url"
    param: str  # expression producing the payload (quick_reply) or the URL suffix (url)
    index: int  # the button's position among all of the template's buttons


@dataclass(frozen=True, slots=True)
class MessageTemplate:
    kind: Kind
    language: str  # our language tag (BCP 47), the file's name
    name: str  # approved template name
    code: str  # Meta's language code, e.g. "id", "en_US"
    category: Category
    body: str
    body_params: tuple[str, ...]
    header: str = ""
    header_params: tuple[str, ...] = ()
    footer: str = ""
    buttons: tuple[Button, ...] = ()
    source: str = ""  # file it came from, for error messages


def placeholder_count(text: str) -> int:
    """Number of distinct ``{{n}}`` placeholders; Meta requires 1..n without gaps."""
    return len({int(n) for n in PLACEHOLDER.findall(text)})


def placeholder_problems(text: str, params: Sequence[str], where: str) -> list[str]:
    numbers = sorted({int(n) for n in PLACEHOLDER.findall(text)})
    problems = []
    if numbers != list(range(1, len(numbers) + 1)):
        problems.append(f"{where}: placeholders must be {{{{1}}}}..{{{{n}}}} without gaps")
    if len(numbers) != len(params):
        problems.append(
            f"{where}: text has {len(numbers)} placeholders but {len(params)} parameters are given"
        )
    return problems


def sanitize_param(value: str, limit: int = PARAM_LIMIT) -> str:
    """Meta refuses new lines, tabs and more than 4 consecutive spaces (132018): line breaks
    and tabs become spaces and every run of spaces becomes one (stricter than Meta's rule)."""
    flat = _LINE_BREAKS.sub(" ", value)
    flat = _WHITESPACE_RUN.sub(" ", flat).strip()
    if len(flat) > limit:
        flat = flat[: limit - 1].rstrip() + "…"
    return flat or "-"


def fill(text: str, params: Sequence[str]) -> str:
    """The text a customer reads: placeholders replaced by the parameter values."""
    return PLACEHOLDER.sub(lambda m: params[int(m.group(1)) - 1], text)


@lru_cache(maxsize=256)
def _layout(text: str) -> tuple[int, tuple[int, ...]]:
    """The text's length without its placeholders, and which parameter each one shows."""
    found = list(PLACEHOLDER.finditer(text))
    fixed = len(text) - sum(len(m.group(0)) for m in found)
    return fixed, tuple(int(m.group(1)) - 1 for m in found)


def filled_length(text: str, params: Sequence[str]) -> int:
    """``len(fill(text, params))``, without building the filled text."""
    fixed, order = _layout(text)
    return fixed + sum(len(params[i]) for i in order)


def fit_body(body: str, params: list[str]) -> list[str]:
    """Shorten the longest parameters until the filled body fits Meta's 1024 characters."""
    params = list(params)
    if filled_length(body, params) <= BODY_LIMIT:
        return params  # the usual case, checked without filling the text
    while len(fill(body, params)) > BODY_LIMIT:
        longest = max(range(len(params)), key=lambda i: len(params[i]))
        excess = len(fill(body, params)) - BODY_LIMIT
        keep = max(1, len(params[longest]) - excess - 1)
        if keep >= len(params[longest]):
            break  # the fixed text alone is too long: the catalog check reports that
        params[longest] = params[longest][:keep].rstrip() + "…"
    return params


def language_candidates(language: str, default: str) -> list[str]:
    """The customer's language, its base language, then the default: ``pt-BR`` -> pt-BR, pt, id."""
    tags = [language]
    base = language.replace("_", "-").split("-")[0]
    if base != language:
        tags.append(base)
    tags.append(default)
    return [t for i, t in enumerate(tags) if t and t not in tags[:i]]


@dataclass(frozen=True, slots=True)
class RenderedMessage:
    """A template with its parameter values filled in for one customer."""

    template: MessageTemplate
    header: tuple[str, ...]
    body: tuple[str, ...]
    buttons: tuple[str, ...]

    def preview(self) -> str:
        """What the customer reads (header, body, footer), for previews and reports."""
        parts = [fill(self.template.header, self.header), fill(self.template.body, self.body)]
        parts.append(self.template.footer)
        return "\n".join(p for p in parts if p)


@dataclass(frozen=True, slots=True)
class Catalog:
    """Every template by kind and language."""

    templates: Mapping[Kind, Mapping[str, MessageTemplate]] = field(default_factory=dict)

    def choose(self, kind: Kind, language: str, default: str) -> MessageTemplate | None:
        """The template for ``kind`` in the customer's language, falling back to the default."""
        by_language = self.templates.get(kind, {})
        for tag in language_candidates(language, default):
            if tag in by_language:
                return by_language[tag]
        return None

    def all(self) -> list[MessageTemplate]:
        return [t for kind in self.templates.values() for t in kind.values()]
