"""Template rules Meta enforces on parameters, placeholders and languages."""

from __future__ import annotations

import dataclasses
from typing import Any

from broadcaster.domain.templates import (
    Catalog,
    Category,
    Kind,
    MessageTemplate,
    RenderedMessage,
    fill,
    filled_length,
    fit_body,
    language_candidates,
    placeholder_count,
    placeholder_problems,
    sanitize_param,
)


def template(language: str, **changes: Any) -> MessageTemplate:
    return dataclasses.replace(
        MessageTemplate(
            kind=Kind.NOTICE,
            language=language,
            name="outage_notice",
            code=language,
            category=Category.UTILITY,
            body="Hi {{1}}, ETA {{2}}",
            body_params=("a", "b"),
        ),
        **changes,
    )


def test_sanitize_removes_what_meta_refuses():
    assert sanitize_param("a\nb\tc") == "a b c"
    assert sanitize_param("a     b") == "a b"
    assert sanitize_param("   ") == "-"
    assert sanitize_param("x" * 30, limit=10) == "x" * 9 + "…"


def test_placeholders_must_run_from_one_without_gaps():
    assert placeholder_count("{{1}} {{ 2 }} {{1}}") == 2
    assert placeholder_problems("{{1}} {{2}}", ("a", "b"), "body") == []
    assert "without gaps" in placeholder_problems("{{1}} {{3}}", ("a", "b"), "body")[0]
    assert "2 placeholders but 1" in placeholder_problems("{{1}} {{2}}", ("a",), "body")[0]


def test_fill_and_preview():
    assert fill("Hi {{1}}, ETA {{2}}", ["Siti", "14:30"]) == "Hi Siti, ETA 14:30"
    message = RenderedMessage(
        template("id", header="Alert {{1}}", footer="STOP"), ("X",), ("Siti", "14:30"), ()
    )
    assert message.preview() == "Alert X\nHi Siti, ETA 14:30\nSTOP"


def test_fit_body_shortens_the_longest_parameter():
    params = fit_body("A {{1}} B {{2}}", ["x" * 2000, "short"])
    assert len(fill("A {{1}} B {{2}}", params)) <= 1024
    assert params[1] == "short"
    assert fit_body("{{1}}" + "y" * 1100, ["a"]) == ["a"], (
        "fixed text too long: left to the catalog check"
    )


def test_filled_length_is_the_length_of_the_filled_text():
    cases = [
        ("A {{1}} B {{2}}", ["xy", ""]),
        ("{{ 2 }}{{1}} and {{2}} again", ["a", "bcd"]),
        ("no placeholders", []),
    ]
    for text, params in cases:
        assert filled_length(text, params) == len(fill(text, params))
    assert fit_body("Hi {{1}}", ["Siti"]) == ["Siti"], "a body that fits is left alone"


def test_language_fallback_order():
    assert language_candidates("pt-BR", "id") == ["pt-BR", "pt", "id"]
    assert language_candidates("id", "id") == ["id"]
    assert language_candidates("", "en") == ["en"]


def test_catalog_chooses_the_customer_language_then_the_default():
    catalog = Catalog({Kind.NOTICE: {"id": template("id"), "en": template("en")}})
    english = catalog.choose(Kind.NOTICE, "en-GB", "id")
    fallback = catalog.choose(Kind.NOTICE, "fr", "id")
    assert english is not None
    assert english.language == "en"
    assert fallback is not None
    assert fallback.language == "id"
    assert catalog.choose(Kind.UPDATE, "id", "id") is None
    assert len(catalog.all()) == 2
