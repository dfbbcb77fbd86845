"""Free-form answers to customers who write in: status replies, opt-out and opt-in confirmations.

They are plain text inside the 24 h customer-service window the customer's message opened,
not WhatsApp templates, so they live in their own file (``paths.replies``) and are rendered
with the same sandboxed Jinja2 and variables as the templates. A broken file stops the
process at start, like a broken template.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from jinja2 import StrictUndefined, Template, TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from broadcaster.domain.templates import language_candidates
from broadcaster.errors import InputError

STATUSES = "statuses"
# what opt-out and opt-in confirmations may use: they concern no incident
CONSENT_NAMES = ("business_name", "customer")


class ReplyKind(StrEnum):
    STATUS = "status"
    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"
    FOLLOW_UP_OK = "follow_up_ok"  # thanks for confirming it works again
    FOLLOW_UP_CASE = "follow_up_case"  # sorry, a person will look into it
    CSAT = "csat"  # how satisfied are you, 1-5
    CSAT_THANKS = "csat_thanks"


# confirmations of consent concern no incident: they see only CONSENT_NAMES
CONSENT_KINDS = frozenset({ReplyKind.OPT_OUT, ReplyKind.OPT_IN})


@dataclass(frozen=True, slots=True)
class _Language:
    texts: Mapping[ReplyKind, Template]
    statuses: Mapping[str, str]


class ReplyBook:
    """The answer texts of every language; ``render`` picks the customer's or a fallback."""

    def __init__(self, languages: Mapping[str, _Language], default_language: str) -> None:
        self._languages = dict(languages)
        self._default = default_language

    @property
    def languages(self) -> list[str]:
        return sorted(self._languages)

    def render(self, kind: ReplyKind, language: str, context: Mapping[str, Any]) -> str:
        """The text for ``kind`` in ``language`` (or its fallback), ``status`` in words."""
        for tag in language_candidates(language, self._default):
            if tag in self._languages:
                chosen = self._languages[tag]
                incident = context.get("incident") or {}
                status = str(incident.get("status", "")) if isinstance(incident, Mapping) else ""
                values = {**context, "status": chosen.statuses.get(status, status)}
                try:
                    return chosen.texts[kind].render(values).strip()
                except TemplateError as exc:
                    raise InputError(f"replies: {tag}.{kind}: {exc}") from exc
        raise InputError(f"replies: no {language!r} and no {self._default!r} texts")

    def check(self, context_for: Callable[[str], Mapping[str, Any]]) -> list[str]:
        """Render every text with a sample ``context_for(language)``; one line per failure.

        Confirmations get only ``CONSENT_NAMES`` of it, as when they are sent.
        """
        problems = []
        for language in self.languages:
            full = context_for(language)
            for kind in ReplyKind:
                context = consent_context(full) if kind in CONSENT_KINDS else full
                try:
                    self.render(kind, language, context)
                except InputError as exc:
                    problems.append(exc.message)
        return problems


def consent_context(context: Mapping[str, Any]) -> dict[str, Any]:
    return {name: context[name] for name in CONSENT_NAMES}


def load_replies(path: Path, default_language: str) -> tuple[ReplyBook, list[str]]:
    """Read the replies file; problems name the file and the key."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return ReplyBook({}, default_language), [f"{path}: replies file not found"]
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        return ReplyBook({}, default_language), [f"{path}: not valid TOML: {exc}"]
    env = ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=False)
    problems: list[str] = []
    languages = {}
    for language, table in raw.items():
        parsed = _language(env, table, f"{path}: {language}", problems)
        if parsed is not None:
            languages[language] = parsed
    if default_language not in raw:
        problems.append(f"{path}: no texts in the default language {default_language!r}")
    return ReplyBook(languages, default_language), problems


def _language(
    env: ImmutableSandboxedEnvironment, table: Any, where: str, problems: list[str]
) -> _Language | None:
    if not isinstance(table, dict):
        problems.append(f"{where}: expected a table")
        return None
    before = len(problems)
    known = {k.value for k in ReplyKind} | {STATUSES}
    problems += [f"{where}.{key}: unknown key" for key in sorted(set(table) - known)]
    statuses = table.get(STATUSES, {})
    if not isinstance(statuses, dict) or not all(isinstance(v, str) for v in statuses.values()):
        problems.append(f"{where}.{STATUSES}: expected a table of strings")
    texts = {}
    for kind in ReplyKind:
        text = table.get(kind.value)
        if not isinstance(text, str) or not text.strip():
            problems.append(f"{where}.{kind}: required, a non-empty string")
            continue
        try:
            texts[kind] = env.from_string(text)
        except TemplateError as exc:
            problems.append(f"{where}.{kind}: {exc}")
    return _Language(texts, statuses) if len(problems) == before else None
