"""Message templates: placeholders, Meta's parameter rules, fitting the body, language choice."""

from __future__ import annotations

from broadcaster.domain.templates import (
    BODY_LIMIT,
    Catalog,
    Category,
    Kind,
    MessageTemplate,
    RenderedMessage,
    fill,
    fit_body,
    language_candidates,
    placeholder_count,
    placeholder_problems,
    sanitize_param,
)


def template(language: str, **changes) -> MessageTemplate:
    fields = {
        "kind": Kind.NOTICE,
        "language": language,
        "name": "outage_notice",
        "code": language,
        "category": Category.UTILITY,
        "body": "Hello {{1}}, {{2}} is down.",
        "body_params": ("name", "title"),
        "header": "{{1}} alert",
        "header_params": ("business",),
        "footer": "Reply STOP",
    }
    return MessageTemplate(**{**fields, **changes})


def test_placeholders_are_counted_once_and_checked_for_gaps_and_parameters():
    assert placeholder_count("{{1}} {{ 2 }} {{1}}") == 2
    assert placeholder_problems("{{1}} {{2}}", ["a", "b"], "body") == []
    assert placeholder_problems("{{1}} {{3}}", ["a"], "body") == [
        "body: placeholders must be {{1}}..{{n}} without gaps",
        "body: text has 2 placeholders but 1 parameters are given",
    ]


def test_parameters_are_flattened_as_meta_requires():
    assert sanitize_param("line one\nline\ttwo     end ") == "line one line two end"
    assert sanitize_param("   ") == "-"
    assert sanitize_param("abcdefghij", limit=5) == "abcd…"


def test_the_longest_parameter_is_shortened_until_the_body_fits():
    body = "Dear {{1}}: {{2}}"
    params = fit_body(body, ["Ani", "x" * 2000])
    assert len(fill(body, params)) <= BODY_LIMIT
    assert params[0] == "Ani"
    assert params[1].endswith("…")
    assert fit_body(body, ["Ani", "short"]) == ["Ani", "short"]
    too_long = "y" * 1100 + " {{1}}"
    assert fit_body(too_long, ["z"]) == ["z"]


def test_language_falls_back_to_the_base_language_then_the_default():
    assert language_candidates("pt-BR", "id") == ["pt-BR", "pt", "id"]
    assert language_candidates("en_US", "en") == ["en_US", "en"]
    assert language_candidates("", "id") == ["id"]
    assert language_candidates("id", "id") == ["id"]


def test_the_catalog_chooses_a_template_in_the_customers_language():
    catalog = Catalog({Kind.NOTICE: {"en": template("en"), "id": template("id")}})
    assert catalog.choose(Kind.NOTICE, "en-GB", "id") == template("en")
    assert catalog.choose(Kind.NOTICE, "fr", "id") == template("id")
    assert catalog.choose(Kind.UPDATE, "en", "id") is None
    assert Catalog({Kind.NOTICE: {"en": template("en")}}).choose(Kind.NOTICE, "fr", "id") is None
    assert {t.language for t in catalog.all()} == {"en", "id"}


def test_a_preview_shows_what_the_customer_reads():
    rendered = RenderedMessage(template("en"), ("NusaNet",), ("Ani", "Fibre"), ())
    assert rendered.preview() == "NusaNet alert\nHello Ani, Fibre is down.\nReply STOP"
    bare = RenderedMessage(template("en", header="", footer=""), (), ("Ani", "Fibre"), ())
    assert bare.preview() == "Hello Ani, Fibre is down."
