"""Alert rules and dashboard: valid for Prometheus and Grafana, tested, built on real metrics."""

from __future__ import annotations

import itertools
import re
from typing import Any

import yaml

from broadcaster import reference
from tests.conftest import REPO
from tests.ops.monitoring import (
    PROMETHEUS_CONFIG,
    RULE_TESTS,
    RULES,
    RUNBOOK_URL,
    alert_rules,
    dashboard,
    dashboard_exprs,
    dashboard_panels,
    exposed_names,
    load_yaml,
    metric_names,
    promtool,
    runbook_anchors,
)

# the alerts the operations issue asks for, by the names operators will see
REQUIRED_ALERTS = {
    "BroadcasterBroadcastStalled",
    "BroadcasterInvalidToken",
    "BroadcasterThroughputErrorsSpiking",
    "BroadcasterWebhookSignatureFailures",
    "BroadcasterQueueLag",
    "BroadcasterWorkerDown",
    "BroadcasterMessagingLimitNearlyExhausted",
    "BroadcasterTemplatePaused",
    "BroadcasterVoucherProviderFailing",
}
# what the dashboard may leave out: nothing an SRE looks at during an incident
NOT_ON_DASHBOARD = {
    "broadcaster_build_info",  # shown by /healthz and in the image labels
    "broadcaster_http_request_duration_seconds",  # the API's own latency, not the outage's
}


def test_promtool_accepts_the_rules_and_the_prometheus_config():
    rules = promtool("check", "rules", str(RULES))
    assert rules.returncode == 0, rules.stdout + rules.stderr
    assert f"SUCCESS: {len(alert_rules())} rules found" in rules.stdout
    config = promtool("check", "config", str(PROMETHEUS_CONFIG))
    assert config.returncode == 0, config.stdout + config.stderr


def test_the_rules_pass_their_promtool_unit_tests():
    result = promtool("test", "rules", str(RULE_TESTS))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_every_alert_is_unit_tested_firing_and_the_required_ones_exist():
    names = {rule["alert"] for rule in alert_rules()}
    assert names >= REQUIRED_ALERTS
    tested = {
        case["alertname"]
        for test in load_yaml(RULE_TESTS)["tests"]
        for case in test.get("alert_rule_test", [])
        if case.get("exp_alerts")
    }
    assert tested == names, "write a promtool test in which each alert fires"


def test_every_alert_has_severity_summary_description_and_its_own_runbook_section():
    anchors = runbook_anchors()
    names = set()
    for rule in alert_rules():
        names.add(rule["alert"])
        assert rule["labels"]["severity"] in {"critical", "warning"}
        annotations = rule["annotations"]
        assert annotations["summary"].strip()
        assert len(annotations["description"]) > len(annotations["summary"])
        assert annotations["runbook_url"] == f"{RUNBOOK_URL}#{rule['alert'].lower()}"
        assert rule["alert"].lower() in anchors, f"docs/runbook.md needs ## {rule['alert']}"
    documented = {a for a in anchors if a.startswith("broadcaster")}
    assert documented == {n.lower() for n in names}, "a runbook section without an alert"


def test_every_metric_in_the_rules_and_the_dashboard_exists_in_the_code():
    exposed = exposed_names() | {"up"}
    for expr in [rule["expr"] for rule in alert_rules()] + dashboard_exprs():
        unknown = metric_names(expr) - exposed
        assert not unknown, f"{sorted(unknown)} in {expr!r}"


def test_the_dashboard_covers_the_catalogue():
    used = set().union(*(metric_names(e) for e in dashboard_exprs()))
    missing = [
        e.name
        for e in reference.metric_catalogue()
        if e.name not in NOT_ON_DASHBOARD and not {e.name, f"{e.name}_bucket"} & used
    ]
    assert not missing, f"put these on the dashboard: {missing}"


def test_every_dashboard_query_is_valid_promql(tmp_path):
    """promtool parses each query as a recording rule (no server needed)."""
    rules = [
        {"record": f"dashboard:query_{i}", "expr": expr} for i, expr in enumerate(dashboard_exprs())
    ]
    path = tmp_path / "dashboard_rules.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}))
    result = promtool("check", "rules", str(path))
    assert result.returncode == 0, result.stdout + result.stderr


def documented_queries() -> list[str]:
    """The PromQL examples of docs/metrics.md's question table."""
    text = (REPO / "docs" / "metrics.md").read_text(encoding="utf-8")
    table = text.split("## The questions an SRE asks", 1)[1].split("\n## ", 1)[0]
    return [q for q in re.findall(r"`([^`]+)`", table) if "broadcaster_" in q]


def test_the_queries_the_metrics_page_teaches_are_valid_and_use_real_metrics(tmp_path):
    queries = documented_queries()
    assert len(queries) >= 10
    for query in queries:
        assert not metric_names(query) - exposed_names(), query
    rules = [{"record": f"docs:query_{i}", "expr": q} for i, q in enumerate(queries)]
    path = tmp_path / "docs_rules.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "docs", "rules": rules}]}))
    result = promtool("check", "rules", str(path))
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_dashboard_is_an_importable_grafana_model():
    model = dashboard()
    assert model["uid"]
    assert model["title"]
    assert model["schemaVersion"] >= 36
    variables = {v["name"]: v for v in model["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"
    ids = [p["id"] for p in model["panels"]]
    assert len(ids) == len(set(ids))
    for panel in dashboard_panels():
        assert panel["title"]
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
        assert panel["targets"], panel["title"]
        ref_ids = [t["refId"] for t in panel["targets"]]
        assert len(ref_ids) == len(set(ref_ids))
        grid = panel["gridPos"]
        assert grid["x"] >= 0
        assert 0 < grid["w"] <= 24 - grid["x"]


def test_dashboard_panels_do_not_overlap():
    def cells(panel: dict[str, Any]) -> set[tuple[int, int]]:
        g = panel["gridPos"]
        return {
            (x, y) for x in range(g["x"], g["x"] + g["w"]) for y in range(g["y"], g["y"] + g["h"])
        }

    for a, b in itertools.combinations(dashboard()["panels"], 2):
        assert not cells(a) & cells(b), f"{a['title']!r} overlaps {b['title']!r}"
