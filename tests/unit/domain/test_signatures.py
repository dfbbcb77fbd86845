"""Webhook signatures against the published test vectors, on the raw bytes."""

from __future__ import annotations

import json

import pytest

from broadcaster.domain.signatures import (
    grafana_signature,
    grafana_signature_valid,
    meta_signature,
    meta_signature_valid,
    pagerduty_signature_valid,
    pagerduty_signatures,
)
from tests.conftest import PAYLOADS

VECTORS = json.loads((PAYLOADS / "signature_vectors.json").read_text())
PD = VECTORS["pagerduty_v3"]
GRAFANA = VECTORS["grafana_hmac"]


@pytest.mark.parametrize("secret", [PD["secret_current"], PD["secret_previous_during_rotation"]])
def test_pagerduty_accepts_any_v1_signature_during_rotation(secret):
    header = PD["headers"]["X-PagerDuty-Signature"]
    assert pagerduty_signature_valid(secret, PD["body"].encode(), header)


def test_pagerduty_refuses_another_secret_a_changed_body_and_other_schemes():
    body = PD["body"].encode()
    header = PD["headers"]["X-PagerDuty-Signature"]
    assert not pagerduty_signature_valid("other-secret", body, header)
    assert not pagerduty_signature_valid(PD["secret_current"], body + b" ", header)
    reserialised = json.dumps(json.loads(body)).encode()
    assert not pagerduty_signature_valid(PD["secret_current"], reserialised, header)
    v0 = header.replace("v1=", "v0=")
    assert not pagerduty_signature_valid(PD["secret_current"], body, v0)


def test_pagerduty_header_entries_are_split_and_trimmed():
    assert pagerduty_signatures(" v1=ab , v2=cd,v1=ef,v1=") == ["ab", "ef"]


def test_grafana_signature_without_and_with_a_timestamp():
    body = GRAFANA["body"].encode()
    plain = GRAFANA["without_timestamp_header"]["headers"]["X-Grafana-Alerting-Signature"]
    stamped = GRAFANA["with_timestamp_header"]["headers"]
    assert grafana_signature(GRAFANA["secret"], body) == plain
    assert grafana_signature_valid(GRAFANA["secret"], body, plain.upper())
    timestamp = stamped["X-Grafana-Alerting-Timestamp"]
    signature = stamped["X-Grafana-Alerting-Signature"]
    assert grafana_signature_valid(GRAFANA["secret"], body, signature, timestamp)
    assert not grafana_signature_valid(GRAFANA["secret"], body, signature, "1795491301")
    assert not grafana_signature_valid(GRAFANA["secret"], body, plain, timestamp)


def test_meta_signature_round_trip():
    header = meta_signature("app-secret", b"{}")
    assert header.startswith("sha256=")
    assert meta_signature_valid("app-secret", b"{}", f" {header} ")
    assert not meta_signature_valid("app-secret", b"{ }", header)
