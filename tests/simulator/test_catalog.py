"""Approved templates: shape inference, config mistakes caught early, JSON loading, listing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from broadcaster.simulator import ApprovedTemplate, load_templates_json
from broadcaster.simulator.catalog import TemplateCatalog, TemplateShape
from broadcaster.simulator.listing import components, list_templates, template_id
from tests.simulator.templates import ALL, NOTICE


def test_parameter_counts_are_inferred_from_the_texts():
    assert (NOTICE.header_params, NOTICE.body_params) == (1, 2)
    assert NOTICE.category == "UTILITY"


def test_names_are_normalised():
    template = ApprovedTemplate("t", "id", category="utility", status="approved", buttons=("URL",))
    assert (template.category, template.status, template.buttons) == (
        "UTILITY",
        "APPROVED",
        ("url",),
    )


@pytest.mark.parametrize(
    "kwargs",
    [
        {"category": "PROMO"},
        {"buttons": ("call",)},
        {"header_params": 2},
        {"url_button_params": 2},
        {"body_text": "{{1}} and {{3}}"},
        {"body_text": "{{1}}", "body_params": 2},
        {"parameter_format": "NAMED", "body_params": 1},
        {"parameter_format": "ODD"},
    ],
)
def test_impossible_templates_are_refused_at_config_time(kwargs):
    with pytest.raises(ValueError, match="template 't'/'id'"):
        ApprovedTemplate("t", "id", **kwargs)


def test_catalog_matches_language_exactly():
    catalog = TemplateCatalog(ALL)
    assert catalog.find("outage_notice_v1", "id") is not None
    assert catalog.find("outage_notice_v1", "en_US") is not None
    assert catalog.find("outage_notice_v1", "en") is None


def test_filled_body_length_counts_literals_and_values():
    shape = TemplateShape.of(NOTICE)  # "Gangguan di {{1}} hingga {{2}}."
    assert shape.filled_body_len({"1": "abc", "2": "de"}) == len("Gangguan di abc hingga de.")


def test_templates_load_from_a_json_list(tmp_path: Path):
    path = tmp_path / "templates.json"
    path.write_text(
        json.dumps(
            [
                {"name": "a", "language": "id", "body_text": "Hi {{1}}", "buttons": ["url"]},
                {"name": "b", "language": "en", "status": "PAUSED"},
            ]
        )
    )
    loaded = load_templates_json(path)
    assert [(t.name, t.body_params, t.buttons, t.status) for t in loaded] == [
        ("a", 1, ("url",), "APPROVED"),
        ("b", 0, (), "PAUSED"),
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [('{"name": "a"}', "expected a JSON list"), ('[{"name": "a", "language": "id", "x": 1}]', "x")],
)
def test_bad_template_files_name_the_problem(tmp_path: Path, content: str, message: str):
    path = tmp_path / "templates.json"
    path.write_text(content)
    with pytest.raises(ValueError, match=message):
        load_templates_json(path)


def test_listing_renders_graph_components():
    assert components(NOTICE) == [
        {
            "type": "HEADER",
            "format": "TEXT",
            "text": "Gangguan {{1}}",
            "example": {"header_text": ["example 1"]},
        },
        {
            "type": "BODY",
            "text": "Gangguan di {{1}} hingga {{2}}.",
            "example": {"body_text": [["example 1", "example 2"]]},
        },
        {"type": "FOOTER", "text": "Balas STOP untuk berhenti"},
        {
            "type": "BUTTONS",
            "buttons": [
                {"type": "QUICK_REPLY", "text": "Berhenti"},
                {
                    "type": "URL",
                    "text": "Status",
                    "url": "https://example.com/status/{{1}}",
                    "example": ["https://example.com/status/example"],
                },
            ],
        },
    ]


def test_listing_pages_with_cursors_and_filters():
    url = "http://sim/v24.0/1/message_templates"
    first = list_templates(ALL, {"limit": "3", "status": "APPROVED"}, url)
    assert [t["name"] for t in first["data"]] == [
        "outage_notice_v1",
        "outage_notice_v1",
        "voucher_v1",
    ]
    assert "after=" in first["paging"]["next"]
    assert "limit=3" in first["paging"]["next"]
    second = list_templates(
        ALL, {"limit": "3", "status": "APPROVED", "after": first["paging"]["cursors"]["after"]}, url
    )
    assert [t["name"] for t in second["data"]] == ["eta_named"]
    assert "next" not in second["paging"]
    assert "previous" in second["paging"]
    named = list_templates(ALL, {"name": "ETA", "fields": "name,status"}, url)
    assert named["data"] == [
        {"name": "eta_named", "status": "APPROVED", "id": template_id(ALL[-1])}
    ]
