"""Configuration: the shipped config.toml, environment overrides, secrets, one line per problem."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from broadcaster.config import Settings, load_settings
from broadcaster.errors import ConfigError
from tests.conftest import REPO


def test_shipped_config_equals_the_built_in_defaults():
    """config.toml documents the defaults: loading it must give exactly Settings()."""
    loaded = load_settings(REPO / "config.toml", {})
    assert loaded == Settings(source=str(REPO / "config.toml"))


def test_environment_overrides_nested_keys_with_types():
    settings = load_settings(
        REPO / "config.toml",
        {
            "BROADCASTER_HTTP__PORT": "9000",
            "BROADCASTER_REDIS__URL": "redis://10.0.0.5:6380/2",
            "BROADCASTER_WHATSAPP__PHONE_NUMBER_IDS": "111, 222",
            "BROADCASTER_WHATSAPP__RECONCILE_AFTER": "90s",
            "BROADCASTER_WHATSAPP__PER_NUMBER_RATE": '{"111": 1000}',
            "BROADCASTER_TIERS__ORDER": '["gold", "standard"]',
            "BROADCASTER_TIERS__DEFAULT": "standard",
        },
    )
    assert settings.http.port == 9000
    assert settings.redis.url == "redis://10.0.0.5:6380/2"
    assert settings.redis.url_was_set
    assert settings.whatsapp.phone_number_ids == ["111", "222"]
    assert settings.whatsapp.reconcile_after == timedelta(seconds=90)
    assert settings.whatsapp.per_number_rate == {"111": 1000.0}
    assert settings.tiers.order == ["gold", "standard"]


def test_url_not_set_is_recorded_for_the_embedded_redis_decision():
    assert not load_settings(REPO / "config.toml", {}).redis.url_was_set


def test_secrets_come_from_env_or_file_and_never_show_in_repr(tmp_path: Path):
    token_file = tmp_path / "token"
    token_file.write_text("EAAG-file-token\n")
    settings = load_settings(
        REPO / "config.toml",
        {
            "BROADCASTER_WHATSAPP__ACCESS_TOKEN_FILE": str(token_file),
            "BROADCASTER_WHATSAPP__APP_SECRET": "app-secret-value",
        },
    )
    assert settings.whatsapp.access_token.reveal() == "EAAG-file-token"
    assert settings.whatsapp.app_secret.reveal() == "app-secret-value"
    assert "EAAG-file-token" not in repr(settings)
    assert "app-secret-value" not in repr(settings)
    assert set(settings.secrets()) == {"EAAG-file-token", "app-secret-value"}


def test_invalid_file_reports_every_bad_key_once(tmp_path: Path):
    bad = tmp_path / "bad.toml"
    bad.write_text(
        '[http]\nport = "eighty"\n'
        "[whatsapp]\nrate_safety = 3\nmesages_per_second = 10\n"
        '[redis]\nurl = "http://nope"\n'
        '[worker]\njob_timeout = "soon"\n'
        "[nonsense]\nx = 1\n"
    )
    with pytest.raises(ConfigError) as caught:
        load_settings(bad, {})
    assert sorted(caught.value.problems) == sorted(
        [
            "http.port: expected an integer, got a string ('eighty')",
            "whatsapp.mesages_per_second: unknown key (did you mean 'messages_per_second'?)",
            "whatsapp.rate_safety: expected a fraction in (0, 1]",
            "redis.url: expected a redis://, rediss:// or unix:// URL, got 'http://nope'",
            "worker.job_timeout: expected a duration like '90s', '15m' or '2h', got 'soon'",
            "nonsense: unknown key",
        ]
    )


def test_bad_environment_values_name_the_key():
    with pytest.raises(ConfigError) as caught:
        load_settings(
            REPO / "config.toml",
            {"BROADCASTER_HTTP__PORT": "x", "BROADCASTER_LOG__LEVEL": "LOUD", "BROADCASTER_X": "1"},
        )
    assert any(p.startswith("http.port: ") for p in caught.value.problems)
    assert any(p.startswith("log.level: expected one of") for p in caught.value.problems)
    assert any(p.startswith("BROADCASTER_X: ") for p in caught.value.problems)


def test_unreadable_secret_file_and_broken_toml_are_reported(tmp_path: Path):
    broken = tmp_path / "broken.toml"
    broken.write_text("[http\nport=1")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(broken, {})
    with pytest.raises(ConfigError, match=r"whatsapp\.access_token_file: cannot read secret file"):
        load_settings(
            REPO / "config.toml",
            {"BROADCASTER_WHATSAPP__ACCESS_TOKEN_FILE": str(tmp_path / "missing")},
        )
    with pytest.raises(ConfigError, match="config file not found"):
        load_settings(tmp_path / "nope.toml", {})


def test_config_path_from_environment(tmp_path: Path):
    other = tmp_path / "other.toml"
    other.write_text("[http]\nport = 9999\n")
    assert load_settings(None, {"BROADCASTER_CONFIG": str(other)}).http.port == 9999


def test_a_worker_must_be_allowed_at_least_one_chunk_and_no_more_than_its_jobs():
    for value in ("0", "17"):
        with pytest.raises(ConfigError) as caught:
            load_settings(REPO / "config.toml", {"BROADCASTER_WORKER__MAX_CHUNKS": value})
        assert caught.value.problems == ["worker.max_chunks: expected between 1 and max_jobs"]


def test_a_worker_metrics_port_is_a_tcp_port_and_0_means_any_free_one():
    env = {"BROADCASTER_WORKER__METRICS_PORT": "0"}
    assert load_settings(REPO / "config.toml", env).worker.metrics_port == 0
    with pytest.raises(ConfigError) as caught:
        load_settings(REPO / "config.toml", {"BROADCASTER_WORKER__METRICS_PORT": "70000"})
    assert caught.value.problems == ["worker.metrics_port: expected a TCP port 0-65535, got 70000"]
