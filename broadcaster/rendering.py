"""Fill message templates per customer with sandboxed Jinja2 expressions.

Each parameter expression is compiled once. Expressions that only read broadcast-wide values
(the incident, the business name) are rendered once per broadcast and language; the others per
customer. Undefined names raise (StrictUndefined): a typo fails ``templates check``, not a send.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from jinja2 import StrictUndefined, TemplateError, meta
from jinja2.sandbox import ImmutableSandboxedEnvironment

from broadcaster.domain.templates import (
    HEADER_LIMIT,
    Catalog,
    Kind,
    MessageTemplate,
    RenderedMessage,
    fit_body,
    sanitize_param,
)
from broadcaster.errors import InputError

# names a broadcast provides once for everybody; anything else is per customer
BROADCAST_NAMES = frozenset({"business_name", "incident", "broadcast"})


@dataclass(frozen=True, slots=True)
class _Param:
    expression: Any  # a compiled jinja2 Template
    per_customer: bool


@dataclass(frozen=True, slots=True)
class _Compiled:
    template: MessageTemplate
    header: tuple[_Param, ...]
    body: tuple[_Param, ...]
    buttons: tuple[_Param, ...]


class Renderer:
    """Turns (kind, customer context) into a RenderedMessage in the customer's language."""

    def __init__(self, catalog: Catalog, default_language: str) -> None:
        self._env = ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=False)
        self._default = default_language
        self._catalog = catalog
        self._compiled: dict[tuple[Kind, str], _Compiled] = {}
        self.problems: list[str] = []
        for template in catalog.all():
            try:
                self._compiled[(template.kind, template.language)] = self._compile(template)
            except TemplateError as exc:
                self.problems.append(f"{template.source}: {exc}")

    def _compile(self, template: MessageTemplate) -> _Compiled:
        def params(expressions: tuple[str, ...]) -> tuple[_Param, ...]:
            out = []
            for expression in expressions:
                names = meta.find_undeclared_variables(self._env.parse(expression))
                out.append(_Param(self._env.from_string(expression), bool(names - BROADCAST_NAMES)))
            return tuple(out)

        return _Compiled(
            template,
            params(template.header_params),
            params(template.body_params),
            params(tuple(b.param for b in template.buttons)),
        )

    def template_for(self, kind: Kind, language: str) -> MessageTemplate | None:
        return self._catalog.choose(kind, language, self._default)

    def render(
        self,
        kind: Kind,
        language: str,
        context: Mapping[str, Any],
        cache: dict[tuple[Any, ...], str] | None = None,
    ) -> RenderedMessage:
        """Fill the template for ``kind`` in ``language`` (or its fallback) from ``context``.

        ``cache`` (one dict per broadcast) keeps broadcast-wide parameter values across calls.
        """
        template = self.template_for(kind, language)
        if template is None:
            raise InputError(f"no {kind} template in {language!r} or {self._default!r}")
        compiled = self._compiled[(template.kind, template.language)]
        cache = {} if cache is None else cache

        def values(part: str, params: tuple[_Param, ...], limit: int) -> tuple[str, ...]:
            out = []
            for position, param in enumerate(params):
                key = (template.kind, template.language, part, position)
                if not param.per_customer and key in cache:
                    out.append(cache[key])
                    continue
                value = sanitize_param(param.expression.render(context), limit)
                if not param.per_customer:
                    cache[key] = value
                out.append(value)
            return tuple(out)

        body = tuple(fit_body(template.body, list(values("body", compiled.body, 1024))))
        return RenderedMessage(
            template,
            header=values("header", compiled.header, HEADER_LIMIT),
            body=body,
            buttons=values("button", compiled.buttons, 256),
        )
