"""`broadcaster templates check` renders each template as its own kind of message is filled,
and the processes refuse to start with a template that could not be sent."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest

from broadcaster.__main__ import main
from broadcaster.adapters.template_files import load_catalog
from broadcaster.bootstrap import load_assets
from broadcaster.errors import ConfigError
from broadcaster.rendering import Renderer
from broadcaster.services.template_check import check_offline, required_kinds
from tests.conftest import REPO


@pytest.fixture
def templates(tmp_path: Path) -> Path:
    copy = tmp_path / "templates"
    shutil.copytree(REPO / "templates", copy)
    return copy


def problems(root: Path, compensation: bool = True, follow_up: bool = True) -> list[str]:
    catalog, loading = load_catalog(root)
    renderer = Renderer(catalog, "id")
    required = required_kinds(compensation, follow_up)
    return loading + check_offline(catalog, renderer, "id", "NusaNet", required)


def test_the_shipped_templates_pass(templates: Path):
    assert problems(templates) == []


def test_a_variable_of_another_kind_of_message_is_refused(templates: Path):
    resolution = templates / "resolution" / "en.toml"
    text = resolution.read_text(encoding="utf-8")
    resolution.write_text(text.replace("{{ incident.title }}", "{{ voucher.code }}"), "utf-8")
    [problem] = problems(templates)
    assert "resolution/en.toml" in problem
    assert "voucher" in problem


def test_every_kind_the_configuration_sends_needs_the_default_language(templates: Path):
    shutil.rmtree(templates / "follow_up")
    [problem] = problems(templates)
    assert "templates/follow_up" in problem
    assert "'id'" in problem
    assert problems(templates, follow_up=False) == [], "not needed when follow-ups are off"


def test_the_cli_exits_2_and_a_process_refuses_to_start(templates: Path, settings, monkeypatch):
    voucher = templates / "voucher" / "id.toml"
    text = voucher.read_text(encoding="utf-8")
    voucher.write_text(text.replace("{{ voucher.code }}", "{{ follow_up.ok_payload }}"), "utf-8")
    monkeypatch.setenv("BROADCASTER_PATHS__TEMPLATES", str(templates))
    assert main(["templates", "check", "--offline"]) == 2
    moved = dataclasses.replace(
        settings, paths=dataclasses.replace(settings.paths, templates=str(templates))
    )
    with pytest.raises(ConfigError, match="follow_up"):
        load_assets(moved, REPO)
