"""Dockerfile and compose.yaml, kept correct by reading them (no Docker engine runs here).

What is checked is what breaks a deployment silently: a command the image does not have, a
port or setting name that does not match config.toml, a secret that is not mounted, a
Prometheus that scrapes the wrong place, a Grafana that loads no dashboard.
"""

from __future__ import annotations

import fnmatch
import json
import re
import shlex
import tomllib
from pathlib import PurePosixPath
from typing import Any

import pytest

from broadcaster import __version__
from broadcaster.__main__ import build_parser
from broadcaster.config import Settings, load_settings
from tests.conftest import REPO
from tests.ops.monitoring import PROMETHEUS_CONFIG, alert_rules, load_yaml

DEFAULTS = Settings()
HTTP_PORT = DEFAULTS.http.port
METRICS_PORT = DEFAULTS.worker.metrics_port


# --- reading the files -----------------------------------------------------------------------
def dockerfile() -> list[tuple[str, str]]:
    """``(INSTRUCTION, arguments)`` in order, continuation lines joined, comments dropped."""
    out: list[tuple[str, str]] = []
    pending = ""
    for raw in (REPO / "Dockerfile").read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        pending += line.removesuffix("\\").strip() + " "
        if not line.endswith("\\"):
            keyword, _, args = pending.strip().partition(" ")
            out.append((keyword.upper(), args.strip()))
            pending = ""
    return out


def final_stage() -> list[tuple[str, str]]:
    steps = dockerfile()
    last_from = max(i for i, (k, _) in enumerate(steps) if k == "FROM")
    return steps[last_from:]


def instruction(name: str, steps: list[tuple[str, str]] | None = None) -> list[str]:
    return [args for keyword, args in (steps or dockerfile()) if keyword == name]


def exec_form(args: str) -> list[str]:
    value = json.loads(args)
    assert isinstance(value, list), f"use the exec form: {args}"
    return [str(v) for v in value]


def key_values(name: str, steps: list[tuple[str, str]] | None = None) -> dict[str, str]:
    """Every ``A=1 B="x y"`` of one instruction (ENV, LABEL, ARG), merged into a dict."""
    out: dict[str, str] = {}
    for args in instruction(name, steps):
        for part in shlex.split(args):
            key, _, value = part.partition("=")
            out[key] = value
    return out


def compose() -> dict[str, Any]:
    data: dict[str, Any] = load_yaml(REPO / "compose.yaml")
    return data


def service(name: str) -> dict[str, Any]:
    found: dict[str, Any] = compose()["services"][name]
    return found


_INTERPOLATION = re.compile(r"\$\{([A-Z_]+)(?::-([^}]*))?\}")


def interpolate(value: str) -> str:
    """Compose's ``${NAME:-default}`` as it comes out with NAME unset."""
    return _INTERPOLATION.sub(lambda m: m.group(2) or "", value)


def bind_mounts(svc: dict[str, Any]) -> dict[str, str]:
    """Host path (relative to the repository) -> container path, for ``./`` volumes."""
    out = {}
    for volume in svc.get("volumes", []):
        source, target, *_ = volume.split(":")
        if source.startswith("./"):
            out[source.removeprefix("./")] = target
    return out


def subcommands() -> set[str]:
    parser = build_parser()
    action = next(a for a in parser._actions if a.dest == "command")
    return set(action.choices)  # type: ignore[arg-type]


# --- the image -------------------------------------------------------------------------------
def test_the_image_is_multi_stage_slim_and_runs_as_a_non_root_user():
    froms = instruction("FROM")
    assert len(froms) >= 2
    assert froms[0].endswith(" AS build")
    assert "slim" in froms[-1]
    stage = final_stage()
    assert any(args.startswith("--from=build ") for args in instruction("COPY", stage))
    (user,) = instruction("USER", stage)
    uid, _, gid = user.partition(":")
    assert uid.isdigit()
    assert int(uid) != 0
    assert gid != "0"
    (create_user,) = [a for a in instruction("RUN", stage) if "useradd" in a]
    assert f"--uid {uid}" in create_user
    assert f"--gid {gid}" in create_user


def test_the_image_runs_the_real_broadcaster_commands():
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
    (entrypoint,) = instruction("ENTRYPOINT")
    assert exec_form(entrypoint) == ["broadcaster"]
    assert scripts["broadcaster"] == "broadcaster.__main__:main"
    (cmd,) = instruction("CMD")
    assert exec_form(cmd) == ["serve"]
    for name in ("server", "worker"):
        command = service(name)["command"]
        assert command[0] in subcommands()
        build_parser().parse_args(command)  # exits 2 on a command the image does not have
    assert service("server")["command"] == ["serve"]
    assert service("worker")["command"] == ["worker"]


def test_the_image_is_labelled_with_its_version_and_commit():
    pyproject_version = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
    args = key_values("ARG", final_stage())
    assert args["VERSION"] == __version__ == pyproject_version, "bump the Dockerfile's VERSION"
    assert "COMMIT" in args
    labels = key_values("LABEL")
    assert labels["org.opencontainers.image.version"] == "${VERSION}"
    assert labels["org.opencontainers.image.revision"] == "${COMMIT}"
    env = key_values("ENV", final_stage())
    assert env["BROADCASTER_APP__COMMIT"] == "${COMMIT}", "/healthz reports the commit"


def test_the_image_ports_and_healthcheck_match_the_configuration():
    (expose,) = instruction("EXPOSE")
    assert {int(p) for p in expose.split()} == {HTTP_PORT, METRICS_PORT}
    env = key_values("ENV", final_stage())
    # inside a container, listen beyond loopback or nobody can reach the process
    assert env["BROADCASTER_HTTP__HOST"] == "0.0.0.0"
    assert env["BROADCASTER_WORKER__METRICS_HOST"] == "0.0.0.0"
    # one check for both processes: /healthz on the configured server or worker port
    (check,) = instruction("HEALTHCHECK")
    assert exec_form(check.split(" CMD ", 1)[1]) == ["python", "-m", "broadcaster.healthcheck"]
    assert all("healthcheck" not in service(name) for name in ("server", "worker"))


def dockerignored(path: str) -> bool:
    patterns = [
        line.strip()
        for line in (REPO / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    return any(fnmatch.fnmatch(path, p) or path.startswith(p.rstrip("/") + "/") for p in patterns)


def test_everything_the_image_copies_exists_and_reaches_the_build_context():
    for args in instruction("COPY"):
        parts = [p for p in args.split() if not p.startswith("--")]
        if any(p.startswith("--from=") for p in args.split()):
            continue
        for source in parts[:-1]:
            assert (REPO / source).exists(), source
            assert not dockerignored(source), f"{source} is excluded by .dockerignore"
    for secret_dir in ("secrets", ".git", "tests"):
        assert dockerignored(secret_dir)


# --- compose: the application ----------------------------------------------------------------
def test_redis_is_durable_and_never_evicts():
    redis = service("redis")
    command = redis["command"]
    assert command[0] == "redis-server"
    flags = dict(zip(command[1::2], command[2::2], strict=True))
    assert flags["--appendonly"] == "yes"
    assert flags["--appendfsync"] == "everysec"
    assert flags["--maxmemory-policy"] == "noeviction"
    (data,) = [v for v in redis["volumes"] if v.endswith(":/data")]
    assert data.split(":")[0] in compose()["volumes"], "a named volume keeps the AOF"
    assert redis["healthcheck"]["test"][-1] == "ping"


def broadcaster_env(name: str) -> dict[str, str]:
    return {k: interpolate(str(v)) for k, v in service(name)["environment"].items()}


@pytest.mark.parametrize("name", ["server", "worker"])
def test_server_and_workers_start_with_a_valid_configuration_and_their_secrets(name, tmp_path):
    """Every BROADCASTER_* variable the image and compose set is a real, valid setting."""
    svc = service(name)
    env = broadcaster_env(name)
    image_env = key_values("ENV", final_stage())
    env |= {k: v.replace("${COMMIT}", "abc123") for k, v in image_env.items() if "BROADCASTER" in k}
    assert env["BROADCASTER_REDIS__URL"] == "redis://redis:6379/0"
    assert svc["depends_on"]["redis"]["condition"] == "service_healthy"
    top_secrets = compose()["secrets"]
    for key, path in list(env.items()):
        if key.endswith("_FILE"):
            secret = PurePosixPath(path)
            assert secret.parent == PurePosixPath("/run/secrets")
            assert secret.name in svc["secrets"], f"{name} does not mount {secret.name}"
            assert top_secrets[secret.name]["file"] == f"./secrets/{secret.name}"
            local = tmp_path / secret.name
            local.write_text(f"value-of-{secret.name}\n")
            env[key] = str(local)
    settings = load_settings(REPO / "config.toml", env)  # raises ConfigError naming a bad key
    assert settings.whatsapp.access_token.reveal() == "value-of-whatsapp_access_token"
    assert settings.whatsapp.app_secret.reveal() == "value-of-whatsapp_app_secret"
    assert settings.api.bootstrap_token.reveal() == "value-of-api_bootstrap_token"
    assert settings.app.commit == "abc123"
    for host_path in bind_mounts(svc):
        assert (REPO / host_path).exists(), host_path


def test_the_server_publishes_its_port_and_workers_scale_without_one():
    server = service("server")
    assert [p.split(":")[-1] for p in server["ports"]] == [str(HTTP_PORT)]
    worker = service("worker")
    assert "ports" not in worker, "a published port would stop `--scale worker=N`"
    assert worker["expose"] == [str(METRICS_PORT)]
    assert worker["deploy"]["replicas"] >= 2
    assert "stop_grace_period" in worker, "let running jobs finish on SIGTERM"


def test_secrets_are_never_committed_or_baked_into_the_image():
    assert "/secrets/" in (REPO / ".gitignore").read_text().splitlines()
    assert dockerignored("secrets")
    assert not any("TOKEN=" in line or "SECRET=" in line for line in _compose_lines())


def _compose_lines() -> list[str]:
    return (REPO / "compose.yaml").read_text().splitlines()


# --- compose: Prometheus and Grafana ---------------------------------------------------------
def test_prometheus_loads_our_config_and_rules_and_scrapes_both_processes():
    prometheus = service("prometheus")
    mounts = bind_mounts(prometheus)
    config_path = next(a.split("=", 1)[1] for a in prometheus["command"] if "--config.file" in a)
    assert mounts["monitoring/prometheus.yml"] == config_path
    config = load_yaml(PROMETHEUS_CONFIG)
    config_dir = PurePosixPath(config_path).parent
    for rule_file in config["rule_files"]:
        assert str(config_dir / rule_file) in mounts.values(), f"{rule_file} is not mounted"
        assert (PROMETHEUS_CONFIG.parent / rule_file).exists()
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert jobs["broadcaster-server"]["static_configs"][0]["targets"] == [f"server:{HTTP_PORT}"]
    (dns,) = jobs["broadcaster-worker"]["dns_sd_configs"]
    assert dns["names"] == ["worker"]
    assert dns["port"] == METRICS_PORT
    # the alert rules select these job names
    selected = {j for rule in alert_rules() for j in re.findall(r'job="([^"]+)"', rule["expr"])}
    assert selected <= set(jobs)


def test_grafana_is_provisioned_with_prometheus_and_the_dashboard():
    grafana = service("grafana")
    mounts = bind_mounts(grafana)
    assert mounts["monitoring/grafana/provisioning"] == "/etc/grafana/provisioning"
    provisioning = REPO / "monitoring" / "grafana" / "provisioning"
    (datasource,) = load_yaml(provisioning / "datasources" / "prometheus.yml")["datasources"]
    assert datasource["type"] == "prometheus"
    assert datasource["url"] == "http://prometheus:9090"
    assert datasource["isDefault"] is True
    assert any(p.split(":")[-1] == "9090" for p in service("prometheus")["ports"])
    (provider,) = load_yaml(provisioning / "dashboards" / "outage-broadcaster.yml")["providers"]
    dashboard_target = PurePosixPath(mounts["monitoring/dashboard.json"])
    assert str(dashboard_target.parent) == provider["options"]["path"]
    password = grafana["environment"]["GF_SECURITY_ADMIN_PASSWORD__FILE"]
    assert PurePosixPath(password).name in grafana["secrets"]


def test_every_file_compose_mounts_exists():
    for name, svc in compose()["services"].items():
        for host_path in bind_mounts(svc):
            assert (REPO / host_path).exists(), f"{name}: {host_path}"
