"""Fill message templates per customer with sandboxed Jinja2 expressions.

Each parameter expression is compiled once, and the variables it reads (``customer.first_name``,
``eta``, ``incident.title``) are listed from its syntax tree. A rendered value is memoised under
the values of exactly those variables, so a broadcast renders each distinct value once: the
incident title once, the ETA once per zone and language, a first name once per name.
Undefined names raise (StrictUndefined): a typo fails ``templates check``, not a send.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from jinja2 import StrictUndefined, TemplateError, nodes
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

Path = tuple[str, ...]
CACHE_LIMIT = 50_000
CHOSEN_LIMIT = 10_000  # (kind, language) pairs remembered; languages are a short list
_UNCACHEABLE = object()


@dataclass(frozen=True, slots=True)
class _Param:
    expression: Any  # a compiled jinja2 Template
    paths: tuple[Path, ...]  # the context variables it reads: ("customer", "first_name")
    key: tuple[Any, ...]  # where it sits: (kind, language, part, position)


def variable_paths(tree: nodes.Node) -> tuple[Path, ...]:
    """Every ``name.attr.attr`` (or ``name["key"]``) chain an expression reads, sorted."""
    found: set[Path] = set()

    def chain(node: nodes.Node) -> Path | None:
        if isinstance(node, nodes.Name):
            return (node.name,)
        if isinstance(node, nodes.Getattr):
            base = chain(node.node)
            return None if base is None else (*base, node.attr)
        if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
            base = chain(node.node)
            return None if base is None else (*base, str(node.arg.value))
        return None

    def visit(node: nodes.Node) -> None:
        path = chain(node)
        if path is not None:
            found.add(path)
            return
        for child in node.iter_child_nodes():
            visit(child)

    visit(tree)
    return tuple(sorted(found))


_SCALARS = (str, int, float, bool, type(None))


def _lookup(context: Mapping[str, Any], path: Path) -> Any:
    value: Any = context
    for part in path:
        # plain dicts first: an ABC isinstance check per step was most of a render's cost
        if type(value) is not dict and not isinstance(value, Mapping):
            return _UNCACHEABLE
        if part not in value:
            return _UNCACHEABLE  # let Jinja render it and report what is missing
        value = value[part]
    return value if isinstance(value, _SCALARS) else _UNCACHEABLE


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
        # the template a (kind, customer language) gets: the catalogue never changes
        self._chosen: dict[tuple[Kind, str], MessageTemplate | None] = {}
        self.problems: list[str] = []
        for template in catalog.all():
            try:
                self._compiled[(template.kind, template.language)] = self._compile(template)
            except TemplateError as exc:
                self.problems.append(f"{template.source}: {exc}")

    def _compile(self, template: MessageTemplate) -> _Compiled:
        def params(part: str, expressions: tuple[str, ...]) -> tuple[_Param, ...]:
            out = []
            for position, expression in enumerate(expressions):
                paths = variable_paths(self._env.parse(expression))
                key = (template.kind, template.language, part, position)
                out.append(_Param(self._env.from_string(expression), paths, key))
            return tuple(out)

        return _Compiled(
            template,
            params("header", template.header_params),
            params("body", template.body_params),
            params("button", tuple(b.param for b in template.buttons)),
        )

    def templates(self) -> list[MessageTemplate]:
        return self._catalog.all()

    def template_for(self, kind: Kind, language: str) -> MessageTemplate | None:
        key = (kind, language)
        if key in self._chosen:
            return self._chosen[key]
        template = self._catalog.choose(kind, language, self._default)
        if len(self._chosen) < CHOSEN_LIMIT:
            self._chosen[key] = template
        return template

    def render(
        self,
        kind: Kind,
        language: str,
        context: Mapping[str, Any],
        cache: dict[tuple[Any, ...], str] | None = None,
    ) -> RenderedMessage:
        """Fill the template for ``kind`` in ``language`` (or its fallback) from ``context``.

        ``cache`` (one dict per broadcast run) memoises rendered values across calls.
        """
        template = self.template_for(kind, language)
        if template is None:
            raise InputError(f"no {kind} template in {language!r} or {self._default!r}")
        compiled = self._compiled[(template.kind, template.language)]
        cache = {} if cache is None else cache

        def values(params: tuple[_Param, ...], limit: int) -> list[str]:
            out = []
            for param in params:
                inputs = tuple([_lookup(context, path) for path in param.paths])
                key = (param.key, inputs)
                cached = cache.get(key)
                if cached is not None:
                    out.append(cached)
                    continue
                value = sanitize_param(param.expression.render(context), limit)
                if _UNCACHEABLE not in inputs and len(cache) < CACHE_LIMIT:
                    cache[key] = value
                out.append(value)
            return out

        body = tuple(fit_body(template.body, values(compiled.body, 1024)))
        return RenderedMessage(
            template,
            header=tuple(values(compiled.header, HEADER_LIMIT)),
            body=body,
            buttons=tuple(values(compiled.buttons, 256)),
        )
