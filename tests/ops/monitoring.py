"""Reading monitoring/: the alert rules, the dashboard, and the metric names they use."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import yaml

from broadcaster import reference
from tests.conftest import REPO

MONITORING = REPO / "monitoring"
RULES = MONITORING / "alerts.yml"
RULE_TESTS = MONITORING / "tests" / "alerts_test.yml"
DASHBOARD = MONITORING / "dashboard.json"
PROMETHEUS_CONFIG = MONITORING / "prometheus.yml"
RUNBOOK = REPO / "docs" / "runbook.md"
RUNBOOK_URL = "https://github.com/outage-broadcaster/outage-broadcaster/blob/main/docs/runbook.md"

_METRIC = re.compile(r"\bbroadcaster_[a-z0-9_]+")
_SELECTOR = re.compile(r"\b([a-zA-Z_:][a-zA-Z0-9_:]*)\s*\{")
# Grafana's variables, replaced by what Grafana would put there
_GRAFANA_VARS = {"$__rate_interval": "1m", "$__interval": "1m", "$__range": "1h"}


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def alert_rules() -> list[dict[str, Any]]:
    return [rule for group in load_yaml(RULES)["groups"] for rule in group["rules"]]


def dashboard() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    return data


def dashboard_panels() -> list[dict[str, Any]]:
    return [p for p in dashboard()["panels"] if p["type"] != "row"]


def dashboard_exprs() -> list[str]:
    """Every panel query, with Grafana's variables filled in as Grafana would."""
    out = []
    for panel in dashboard_panels():
        for target in panel["targets"]:
            expr = target["expr"]
            for name, value in _GRAFANA_VARS.items():
                expr = expr.replace(name, value)
            out.append(expr)
    return out


def metric_names(expr: str) -> set[str]:
    """Names of the series an expression selects (our metrics and any ``name{...}``)."""
    names = set(_METRIC.findall(expr))
    names |= {m for m in _SELECTOR.findall(expr) if m not in {"by", "without", "on", "ignoring"}}
    return names


def exposed_names() -> set[str]:
    """Every series name the code can expose, histogram series included."""
    names = set()
    for entry in reference.metric_catalogue():
        names.add(entry.name)
        if entry.type == "histogram":
            names |= {f"{entry.name}_bucket", f"{entry.name}_sum", f"{entry.name}_count"}
    return names


def github_anchor(heading: str) -> str:
    """The fragment GitHub gives a Markdown heading."""
    slug = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return slug.replace(" ", "-")


def runbook_anchors() -> list[str]:
    text = RUNBOOK.read_text(encoding="utf-8")
    return [github_anchor(m) for m in re.findall(r"^## (.+)$", text, flags=re.MULTILINE)]


def promtool(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["promtool", *args], cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )
