"""Rendering: memoised by exactly the variables each expression reads, never mixed up."""

from __future__ import annotations

from jinja2 import Environment

from broadcaster.adapters.template_files import load_catalog
from broadcaster.domain.templates import Kind
from broadcaster.rendering import Renderer, variable_paths
from broadcaster.services.template_check import sample_context
from tests.conftest import REPO


def paths(expression: str) -> tuple[tuple[str, ...], ...]:
    return variable_paths(Environment().parse(expression))


def test_variable_paths_follow_attribute_and_item_chains():
    assert paths("{{ customer.first_name or 'Pelanggan' }}") == (("customer", "first_name"),)
    assert paths("{{ {'a': 'x'}[incident.status] }}{{ eta }}") == (("eta",), ("incident", "status"))
    assert paths("{{ customer['attributes']['region'] }}") == (
        ("customer", "attributes", "region"),
    )
    assert paths("literal") == ()


def test_a_shared_cache_never_gives_one_customer_another_customers_values():
    catalog, problems = load_catalog(REPO / "templates")
    assert not problems
    renderer = Renderer(catalog, "id")
    cache: dict[tuple[object, ...], str] = {}
    siti = sample_context("id", "NusaNet")
    budi = {
        **siti,
        "customer": {**siti["customer"], "first_name": "Budi"},
        "eta": "Rab 25 Nov, 09:00 WIB",
    }
    first = renderer.render(Kind.NOTICE, "id", siti, cache)
    second = renderer.render(Kind.NOTICE, "id", budi, cache)
    again = renderer.render(Kind.NOTICE, "id", siti, cache)
    assert first.body[0] == "Siti"
    assert second.body[0] == "Budi"
    assert second.body[4] == "Rab 25 Nov, 09:00 WIB"
    assert again == first
    assert renderer.render(Kind.NOTICE, "id", budi) == second, "same result without a cache"
