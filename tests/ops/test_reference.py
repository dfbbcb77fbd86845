"""The generated reference pages match the code, and the code keeps its metric promises."""

from __future__ import annotations

import dataclasses
import re
import shutil
import tomllib
from typing import Any, get_type_hints

import pytest

from broadcaster import metrics, reference
from broadcaster.adapters.broadcast_store import BroadcastStatus
from broadcaster.config import Settings, load_settings
from broadcaster.domain.deliveries import State
from broadcaster.domain.incidents import Status
from broadcaster.domain.send_errors import Action, classify
from broadcaster.domain.templates import Kind
from broadcaster.services.gauges import HOLD_REASONS, PAUSE_REASONS, pause_reason
from broadcaster.typed_config import Secret
from tests.conftest import REPO

# label names that would carry a person, an unbounded id or free text
FORBIDDEN_LABELS = {"phone", "wa_id", "to", "from", "customer", "customer_id", "name", "text"}
FORBIDDEN_LABELS |= {"message", "title", "incident", "incident_id", "broadcast_id", "error"}


def test_committed_reference_pages_equal_what_the_code_generates():
    for path, wanted in reference.pages(REPO).items():
        assert path.read_text(encoding="utf-8") == wanted, (
            f"{path.name} is stale: run python -m broadcaster.reference"
        )


def test_the_check_mode_reports_a_stale_page_and_the_write_mode_fixes_it(tmp_path, capsys):
    (tmp_path / "docs").mkdir()
    shutil.copy(REPO / "config.toml", tmp_path / "config.toml")
    page = REPO / "docs" / "metrics.md"
    row = "| `broadcaster_worker_up` | gauge"
    stale = page.read_text().replace(row, "| `broadcaster_gone` | gauge")
    assert stale != page.read_text()
    (tmp_path / "docs" / "metrics.md").write_text(stale)
    root = ["--root", str(tmp_path)]
    assert reference.main(["--check", *root]) == 1
    assert (tmp_path / "docs" / "metrics.md").read_text() == stale, "--check writes nothing"
    assert "out of date" in capsys.readouterr().err
    assert reference.main(root) == 0
    assert reference.main(["--check", *root]) == 0
    assert (tmp_path / "docs" / "metrics.md").read_text() == page.read_text()


def test_every_metric_is_named_by_convention_and_labelled_from_closed_sets():
    entries = reference.metric_catalogue()
    assert len({e.name for e in entries}) == len(entries)
    for entry in entries:
        assert re.fullmatch(r"broadcaster_[a-z0-9_]+", entry.name)
        assert entry.help.endswith(".")
        if entry.type == "counter":
            assert entry.name.endswith("_total")
        if entry.type == "histogram":
            assert entry.name.endswith("_seconds"), "histograms here measure time"
        for label in entry.labels:
            assert label not in FORBIDDEN_LABELS
            assert label in metrics.LABELS, f"document label {label!r} in metrics.LABELS"
    used = {label for e in entries for label in e.labels}
    assert used == set(metrics.LABELS), "every documented label is in use"


def test_shared_state_is_served_by_the_server_only_and_worker_up_by_workers_only():
    served = {e.name: e.served_by for e in reference.metric_catalogue()}
    state = ["broadcaster_incidents", "broadcaster_broadcast_recipients", "broadcaster_queue_depth"]
    state += ["broadcaster_sender_paused", "broadcaster_messaging_limit_remaining"]
    assert all(served[name] == "server" for name in state)
    assert served["broadcaster_worker_up"] == "worker"
    assert served["broadcaster_messages_total"] == "both"


def help_of(name: str) -> str:
    return next(e.help for e in reference.metric_catalogue() if e.name == name)


@pytest.mark.parametrize(
    ("metric", "values"),
    [
        ("broadcaster_incidents", [s.value for s in Status]),
        ("broadcaster_broadcast_recipients", [s.label for s in State]),
        ("broadcaster_broadcasts", [s.value for s in BroadcastStatus]),
        ("broadcaster_sender_paused", HOLD_REASONS),
        ("broadcaster_broadcasts_paused", PAUSE_REASONS),
    ],
)
def test_metric_descriptions_list_every_value_their_label_can_take(metric, values):
    assert all(value in help_of(metric) for value in values)


def test_the_kind_label_documents_every_message_kind():
    assert all(f"`{kind.value}`" in metrics.LABELS["kind"] for kind in Kind)


def test_every_hold_and_pause_reason_the_error_table_produces_has_a_series():
    verdicts = [classify(code, status) for code in range(140_000) for status in (400, 401)]
    holds = {v.reason for v in verdicts if v.action is Action.PAUSE_ACCOUNT}
    pauses = {v.reason for v in verdicts if v.action is Action.PAUSE_BROADCAST}
    assert holds <= set(HOLD_REASONS)
    assert {pause_reason(f"{reason} (132015)") for reason in pauses} == pauses
    assert pause_reason("commander") == "commander"
    assert pause_reason("something new") == "other"


# --- configuration reference ---------------------------------------------------------------
def settings_fields(cls: Any = Settings, section: str = "") -> list[tuple[str, str, Any]]:
    """``(section, key, type)`` of every setting, nested tables included."""
    out = []
    hints = get_type_hints(cls)
    for f in dataclasses.fields(cls):
        if dataclasses.is_dataclass(hints[f.name]):
            out += settings_fields(hints[f.name], f"{section}.{f.name}" if section else f.name)
        elif section and f.name != "url_was_set":  # url_was_set is derived at load time
            out.append((section, f.name, hints[f.name]))
    return out


def test_every_setting_is_in_config_toml_with_a_comment_and_no_secret_is():
    text = (REPO / "config.toml").read_text()
    documented = {(e.section, e.key): e.comment for e in reference.config_entries(text)}
    for section, key, tp in settings_fields():
        if tp is Secret:
            assert (section, key) not in documented, "secrets never go into config.toml"
        else:
            assert documented.get((section, key)), f"[{section}] {key}: add it with a comment"
    assert set(documented) <= {(s, k) for s, k, _ in settings_fields()}


def test_config_toml_states_the_same_defaults_as_the_code():
    from_file = load_settings(REPO / "config.toml", {})
    assert dataclasses.replace(from_file, source="defaults") == Settings()
    assert tomllib.loads((REPO / "config.toml").read_text())  # and it is plain TOML


def test_the_configuration_page_names_each_environment_variable_once():
    page = (REPO / "docs" / "configuration.md").read_text()
    for section, key, _ in settings_fields():
        env = f"`{reference.env_name(section, key)}`"
        assert page.count(env) == 1, env


@dataclasses.dataclass(frozen=True)
class _Hook:
    token: Secret = Secret("")
    url: str = ""


@dataclasses.dataclass(frozen=True)
class _Silent:
    secret: Secret = Secret("")


@dataclasses.dataclass(frozen=True)
class _Intake:
    every: str = "5s"
    hook: _Hook = dataclasses.field(default_factory=_Hook)
    silent: _Silent = dataclasses.field(default_factory=_Silent)


@dataclasses.dataclass(frozen=True)
class _Root:
    intake: _Intake = dataclasses.field(default_factory=_Intake)


NESTED = """\
[intake]
# How often.
every = "5s"

[intake.hook]
# Where | how.
url = ""

[intake.silent]
# Only a secret here.

# Rules, first match wins.
[[intake.rules]]
name = "a"
[[intake.rules]]
name = "b"
"""


def test_nested_tables_arrays_of_tables_and_secret_only_tables_are_documented():
    entries = reference.config_entries(NESTED)
    assert [(e.section, e.key, e.env) for e in entries] == [
        ("intake", "every", "BROADCASTER_INTAKE__EVERY"),
        ("intake.hook", "url", "BROADCASTER_INTAKE__HOOK__URL"),
        ("intake", "rules", "BROADCASTER_INTAKE__RULES"),
    ]
    assert entries[2].default == '`[{"name": "a"}, {"name": "b"}]`'
    assert entries[2].comment == "Rules, first match wins."
    assert reference.secret_fields(_Root) == [("intake.hook", "token"), ("intake.silent", "secret")]
    page = reference.configuration_page(NESTED, _Root)
    sections = [line for line in page.splitlines() if line.startswith("## ")]
    assert sections == ["## [intake]", "## [intake.hook]", "## [intake.silent]"]
    assert '| `url` | `""` | `BROADCASTER_INTAKE__HOOK__URL` | Where \\| how. |' in page
    assert (
        "`BROADCASTER_INTAKE__SILENT__SECRET` or `BROADCASTER_INTAKE__SILENT__SECRET_FILE`" in page
    )
