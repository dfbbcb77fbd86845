"""The real commands as an operator runs them: start, answer, stop on SIGTERM, refuse bad config."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import redis

from broadcaster.embedded_redis import free_port
from tests.conftest import REPO


def run(args: list[str], env: dict[str, str], **kwargs) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "broadcaster", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        **kwargs,
    )


def base_env(redis_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BROADCASTER_")}
    env["BROADCASTER_REDIS__URL"] = redis_url
    return env


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def wait_until_up(url: str, process: subprocess.Popen[str]) -> None:
    for _ in range(200):
        assert process.poll() is None, "the process exited early"
        try:
            get(url)
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"{url} never answered")


@pytest.mark.parametrize("command", ["serve", "worker"])
def test_processes_serve_health_and_metrics_and_stop_on_sigterm(command, redis_url, tmp_path):
    env = base_env(redis_url)
    port = free_port()
    env["BROADCASTER_HTTP__PORT" if command == "serve" else "BROADCASTER_WORKER__METRICS_PORT"] = (
        str(port)
    )
    log = tmp_path / "log"
    with (
        log.open("w") as sink,
        subprocess.Popen(
            [sys.executable, "-m", "broadcaster", command],
            cwd=REPO,
            env=env,
            stdout=sink,
            stderr=sink,
            text=True,
        ) as process,
    ):
        try:
            base = f"http://127.0.0.1:{port}"
            wait_until_up(base + "/healthz", process)
            assert get(base + "/healthz")[0] == 200
            status, metrics = get(base + "/metrics")
            assert status == 200
            assert "broadcaster_" in metrics
            if command == "serve":
                assert get(base + "/readyz") == (200, '{"status": "ready", "redis": "ok"}')
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=30) == 0, log.read_text()
        finally:
            if process.poll() is None:
                process.kill()


def test_an_invalid_config_stops_with_one_line_per_bad_key_and_exit_2(tmp_path: Path, redis_url):
    bad = tmp_path / "config.toml"
    bad.write_text('[http]\nport = "x"\n[whatsapp]\nrate_safety = 7\n[typo]\na = 1\n')
    result = run(["--config", str(bad), "serve"], base_env(redis_url))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert sorted(lines) == sorted(
        [
            "config: http.port: expected an integer, got a string ('x')",
            "config: whatsapp.rate_safety: expected a fraction in (0, 1]",
            "config: typo: unknown key",
        ]
    )


def test_bad_usage_exits_2(redis_url):
    assert run(["incident", "declare"], base_env(redis_url)).returncode == 2
    assert run(["nonsense"], base_env(redis_url)).returncode == 2


@pytest.mark.slow
def test_the_demo_tells_the_whole_story_twice_on_a_shared_redis_and_cleans_up(redis_url):
    for _ in range(2):  # the second run must not collide with what the first left behind
        result = run(["demo"], base_env(redis_url))
        assert result.returncode == 0, result.stderr
        assert result.stderr == "", "no warnings: the demo is configured as in production"
        lines = {line.split()[0]: line for line in result.stdout.splitlines() if line.strip()}
        assert "2000 imported" in lines["customers"]
        assert "2 rejected" in lines["customers"]
        assert "declared from Alertmanager alert" in lines["incident"]
        assert number_after("delivered", lines["notice"]) > 0
        assert "one update to" in lines["update"]
        assert "was kept" in lines["resolved"]
        assert number_after("vouchers", lines["vouchers"]) > 0
        assert "1 still broken" in lines["follow-up"]
        assert "contacts prevented" in lines["deflection"]
    leftovers = redis.Redis.from_url(redis_url).keys("*obdemo-*")
    assert leftovers == [], "the demo removes its keys and arq's keys for its jobs"


def number_after(word: str, line: str) -> int:
    return int(line.split(word, 1)[1].split()[0].strip(","))
