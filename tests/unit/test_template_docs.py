"""templates/README.md's variable table agrees with the shipped templates and the code.

Every variable a shipped template reads must be documented for its kind, and every
documented variable must exist in the context ``templates check`` renders with (the same
shape the sender builds), so the table can neither fall behind nor invent anything.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from jinja2 import nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment

from broadcaster.adapters.template_files import load_catalog
from broadcaster.domain.templates import Kind, MessageTemplate
from broadcaster.rendering import variable_paths
from broadcaster.services.template_check import sample_context
from tests.conftest import REPO
from tests.ops.test_docs import anchors

README = REPO / "templates" / "README.md"
ROW = re.compile(r"^\| `([a-z_.\[\]]+)` \| ([a-z_, ]+) \|")
ENV = ImmutableSandboxedEnvironment()
Path = tuple[str, ...]


def documented() -> dict[str, set[str]]:
    """``variable -> kinds`` from the README's variable table (``all`` = every kind)."""
    text = README.read_text(encoding="utf-8")
    section = text.split("## Variables", 1)[1].split("\n## ", 1)[0]
    every = {kind.value for kind in Kind if kind is not Kind.REPLY}
    table: dict[str, set[str]] = {}
    for line in section.splitlines():
        if match := ROW.match(line):
            kinds = {k.strip() for k in match.group(2).split(",")}
            table[match.group(1)] = every if kinds == {"all"} else kinds
    return table


def expressions(template: MessageTemplate) -> Iterator[str]:
    yield from template.header_params
    yield from template.body_params
    yield from (button.param for button in template.buttons)


def used_paths(expression: str) -> set[str]:
    """Dotted variables an expression reads; a loop variable reads as ``list[].attr``."""
    tree = ENV.parse(expression)
    aliases: dict[str, Path] = {}
    for loop in tree.find_all(nodes.For):
        if isinstance(loop.target, nodes.Name):
            (source,) = variable_paths(loop.iter) or (("?",),)
            aliases[loop.target.name] = (*source[:-1], source[-1] + "[]")
    out = set()
    for path in variable_paths(tree):
        if path[0] in aliases and len(path) == 1:
            continue  # the loop's own target (or a whole item): its list is counted
        root = aliases.get(path[0], (path[0],))
        out.add(".".join((*root, *path[1:])).replace(".[", "["))
    return out


def covered(path: str, table: Mapping[str, set[str]], kind: str) -> bool:
    """``path`` or, for a mapping like ``incident.labels``, a documented prefix of it."""
    parts = path.split(".")
    candidates = [".".join(parts[:n]) for n in range(len(parts), 0, -1)]
    documented_here = [c for c in candidates if c in table and kind in table[c]]
    return bool(documented_here) and (documented_here[0] == path or "." in documented_here[0])


def resolve(context: Mapping[str, Any], path: str) -> Any:
    value: Any = context
    for part in path.split("."):
        name, is_list = (part[:-2], True) if part.endswith("[]") else (part, False)
        assert isinstance(value, Mapping), f"{path}: {name} is not inside a mapping"
        assert name in value, f"{path}: no {name!r} in the template context"
        value = value[name]
        if is_list:
            assert isinstance(value, list), f"{path}: {name} is not a list"
            assert value, f"{path}: the sample has no {name} to look into"
            value = value[0]
    return value


def test_the_table_is_found_and_covers_every_kind():
    table = documented()
    assert "business_name" in table
    assert {kind for kinds in table.values() for kind in kinds} >= {"voucher", "follow_up"}


def test_every_variable_a_shipped_template_reads_is_documented_for_its_kind():
    catalog, problems = load_catalog(REPO / "templates")
    assert not problems
    table = documented()
    missing = sorted(
        f"{template.kind}/{template.language}.toml: {path}"
        for template in catalog.all()
        for expression in expressions(template)
        for path in used_paths(expression)
        if not covered(path, table, template.kind.value)
    )
    assert not missing, "document these in templates/README.md:\n" + "\n".join(missing)


@pytest.mark.parametrize("language", ["id", "en"])
def test_every_documented_variable_exists_in_the_template_context(language):
    context = sample_context(language, "NusaNet")
    for path in documented():
        resolve(context, path)


def test_loop_variables_and_mappings_are_read_as_documented():
    assert used_paths("{% for other in others %}{{ other.title }}{% endfor %}") == {
        "others",
        "others[].title",
    }
    table = {"incident.labels": {"notice"}, "eta": {"notice"}, "incident.title": {"notice"}}
    assert covered("incident.labels.region", table, "notice")
    assert covered("eta", table, "notice")
    assert not covered("eta", table, "voucher")
    assert not covered("incident.status", table, "notice")


def test_the_readme_links_lead_somewhere():
    text = README.read_text(encoding="utf-8")
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        path, _, fragment = target.partition("#")
        linked = (README.parent / path).resolve()
        assert linked.exists(), target
        if fragment:
            assert fragment in anchors(linked), target
