"""Policy: decisions per source and severity, severity labels, labels -> segments."""

from __future__ import annotations

from broadcaster.domain.incidents import Severity
from broadcaster.domain.policy import Policy, SegmentRule
from broadcaster.domain.signals import Source


def test_the_shipped_decisions_let_critical_alerts_declare_and_the_rest_wait():
    policy = Policy()
    assert policy.decision(Source.ALERTMANAGER, Severity.CRITICAL) == "auto"
    assert policy.decision(Source.ALERTMANAGER, Severity.MAJOR) == "confirm"
    assert policy.decision(Source.STATUSPAGE, Severity.MAJOR) == "auto"
    assert Policy(decisions={}, default="auto").decision(Source.GRAFANA, Severity.MINOR) == "auto"


def test_severity_comes_from_the_sender_else_the_severity_label():
    policy = Policy()
    assert policy.severity(Severity.MINOR, {"severity": "critical"}) is Severity.MINOR
    assert policy.severity(None, {"severity": "Warning"}) is Severity.MINOR
    assert policy.severity(None, {"severity": "page"}) is Severity.CRITICAL
    assert policy.severity(None, {"severity": "odd"}) is Severity.MAJOR
    assert policy.severity(None, {}) is Severity.MAJOR
    custom = Policy(severity_label="level", severities={"p1": "critical"}, default_severity="minor")
    assert custom.severity(None, {"level": "P1"}) is Severity.CRITICAL
    assert custom.severity(None, {"severity": "critical"}) is Severity.MINOR


def test_labels_map_to_segments_in_rule_order_without_repeats():
    policy = Policy(
        segments=[
            SegmentRule(["mobile-data"], {"service": ["mobile", "mobile-data"]}),
            SegmentRule(["fiber"], {"service": "fiber", "region": ["jkt", "bdg"]}),
            SegmentRule(["fiber", "vip"], {"tier": "vip"}),
        ]
    )
    fibre = {"service": "fiber", "region": "jkt"}
    assert policy.segments_for([fibre]) == ("fiber",)
    assert policy.segments_for([{"service": "fiber", "region": "sby"}]) == ()
    both = [fibre, {"service": "mobile"}, {"tier": "vip"}]
    assert policy.segments_for(both) == ("mobile-data", "fiber", "vip")
    assert policy.segments_for(labels for labels in both) == ("mobile-data", "fiber", "vip")
    assert Policy(segments=[SegmentRule(["all"])]).segments_for([{}]) == ("all",)


def test_problems_name_unknown_sources_severities_and_bad_rules():
    policy = Policy(decisions={"nagios": {"critical": "auto"}, "grafana": {"sev1": "auto"}})
    assert policy.problems() == [
        (
            "decisions.nagios",
            "unknown source (expected one of alertmanager, grafana, pagerduty, statuspage)",
        ),
        ("decisions.grafana.sev1", "unknown severity (minor, major, critical)"),
    ]
    assert Policy().problems() == []
    rule = SegmentRule([], {"service": [], "region": 5, "ok": ["a"]})
    assert rule.problems() == [
        ("segments", "name at least one segment"),
        ("match.service", "expected a string or a list of strings"),
        ("match.region", "expected a string or a list of strings"),
    ]
    assert not rule.matches({"service": "x", "region": "5", "ok": "a"})
