"""The [intake], [policy] and [api.tokens] configuration: defaults, environment, problems."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from broadcaster.config import load_settings
from broadcaster.errors import ConfigError
from broadcaster.worker import every, intake_crons
from tests.conftest import REPO

CONFIG = REPO / "config.toml"


def test_the_contract_environment_names_reach_their_receivers():
    settings = load_settings(
        CONFIG,
        {
            "BROADCASTER_INTAKE__ALERTMANAGER__BEARER_TOKEN": "am-token",
            "BROADCASTER_INTAKE__GRAFANA__BEARER_TOKEN": "gf-token",
            "BROADCASTER_INTAKE__PAGERDUTY__SIGNING_SECRET": "pd-secret",
            "BROADCASTER_INTAKE__FIRE_FOR": "30s",
            "BROADCASTER_INTAKE__SCOPE_LABELS": "service,site",
        },
    )
    intake = settings.intake
    assert intake.alertmanager.bearer_token.reveal() == "am-token"
    assert intake.grafana.bearer_token.reveal() == "gf-token"
    assert intake.pagerduty.signing_secret.reveal() == "pd-secret"
    assert intake.fire_for == timedelta(seconds=30)
    assert intake.scope_labels == ["service", "site"]
    assert {"am-token", "gf-token", "pd-secret"} <= set(settings.secrets())


def test_api_tokens_come_from_the_environment_or_a_file(tmp_path: Path):
    token_file = tmp_path / "alice"
    token_file.write_text("alice-token-0123456789\n")
    settings = load_settings(
        CONFIG,
        {
            "BROADCASTER_API__TOKENS__ALICE__ROLE": "commander",
            "BROADCASTER_API__TOKENS__ALICE__TOKEN_FILE": str(token_file),
            "BROADCASTER_API__TOKENS__BOB__TOKEN": "bob-token-0123456789",
        },
    )
    assert settings.api.tokens["alice"].role == "commander"
    assert settings.api.tokens["alice"].token.reveal() == "alice-token-0123456789"
    assert settings.api.tokens["bob"].role == "viewer"
    assert "bob-token-0123456789" not in repr(settings)


def test_every_intake_problem_is_named():
    with pytest.raises(ConfigError) as caught:
        load_settings(
            CONFIG,
            {
                "BROADCASTER_API__TOKENS__EVE__TOKEN": "short",
                "BROADCASTER_API__TOKENS__EVE__ROLE": "root",
                "BROADCASTER_INTAKE__EVALUATE_EVERY": "7s",
                "BROADCASTER_INTAKE__MAX_BODY_BYTES": "10",
                "BROADCASTER_INTAKE__SIGNAL_RETENTION": "5m",
                "BROADCASTER_INTAKE__ALERTMANAGER__BASIC_USERNAME": "am",
                "BROADCASTER_INTAKE__ALERTMANAGER__API_URL": "ftp://x",
                "BROADCASTER_INTAKE__ALERTMANAGER__RECONCILE_EVERY": "90s",
                "BROADCASTER_INTAKE__STATUSPAGE__POLL_EVERY": "1.5s",
                "BROADCASTER_POLICY__DEFAULT": "maybe",
                "BROADCASTER_POLICY__DECISIONS": '{"nagios": {"critical": "auto"}}',
                "BROADCASTER_POLICY__SEGMENTS": '[{"segments": [], "match": {"a": 1}}]',
            },
        )
    found = caught.value.problems
    for key in (
        "api.tokens.eve.role: expected one of",
        "api.tokens.eve.token: required, at least 16 characters",
        "intake.evaluate_every: expected whole seconds that divide 60",
        "intake.max_body_bytes: expected 1024 to 67108864 bytes",
        "intake.signal_retention: keep signals at least 1h",
        "intake.alertmanager.basic_username: basic auth needs both",
        "intake.alertmanager.api_url: expected an http(s) URL",
        "intake.alertmanager.reconcile_every: expected whole seconds",
        "intake.statuspage.poll_every: expected whole seconds",
        "policy.default: expected one of 'auto', 'confirm'",
        "policy.decisions.nagios: unknown source",
        "policy.segments[0].segments: name at least one segment",
        "policy.segments[0].match.a: expected a string or a list of strings",
    ):
        assert any(p.startswith(key) for p in found), key


def test_crons_follow_the_configuration():
    settings = load_settings(CONFIG, {})
    names = [job.name for job in intake_crons(settings)]
    assert names == ["cron:evaluate_due_signals"]
    polled = load_settings(
        CONFIG,
        {
            "BROADCASTER_INTAKE__STATUSPAGE__API_URL": "https://status.example.com/api/v2",
            "BROADCASTER_INTAKE__ALERTMANAGER__API_URL": "http://127.0.0.1:9093",
            "BROADCASTER_INTAKE__EVALUATE_EVERY": "1s",
        },
    )
    crons = intake_crons(polled)
    assert [job.name for job in crons] == [
        "cron:evaluate_due_signals",
        "cron:poll_statuspage_job",
        "cron:reconcile_alertmanager_job",
    ]
    assert crons[0].second == set(range(60))
    assert every(timedelta(seconds=60)) == {0}
