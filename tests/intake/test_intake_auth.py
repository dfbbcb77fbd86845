"""Receiver credentials: bearer or basic, Grafana's HMAC with a timestamp, URL tokens."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

import pytest

from broadcaster.errors import WebhookRejected
from broadcaster.intake_settings import GrafanaIntake, WebhookAuth
from broadcaster.typed_config import Secret
from broadcaster.web.intake_auth import (
    check_credentials,
    check_grafana_signature,
    check_pagerduty_signature,
    check_url_token,
)
from tests.conftest import PAYLOADS

VECTORS = json.loads((PAYLOADS / "signature_vectors.json").read_text())["grafana_hmac"]
BASIC = WebhookAuth(basic_username="am", basic_password=Secret("s3cret"))
SIGNED_AT = datetime.fromtimestamp(1795491300, UTC)


def basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def rejected(check, *args) -> tuple[int, str]:
    with pytest.raises(WebhookRejected) as caught:
        check(*args)
    return caught.value.status, caught.value.code


def test_nothing_configured_lets_everything_in():
    check_credentials({}, WebhookAuth())
    check_grafana_signature({}, b"{}", GrafanaIntake(), SIGNED_AT)
    check_pagerduty_signature({}, b"{}", Secret(""))
    check_url_token(None, Secret(""))


def test_basic_auth():
    check_credentials(basic("am", "s3cret"), BASIC)
    assert rejected(check_credentials, basic("am", "wrong"), BASIC) == (403, "credentials_invalid")
    assert rejected(check_credentials, {"Authorization": "Basic %%%"}, BASIC)[0] == 403
    assert rejected(check_credentials, {"Authorization": "Bearer s3cret"}, BASIC)[0] == 403
    assert rejected(check_credentials, {"Authorization": "Basic "}, BASIC)[0] == 401


def test_either_credential_when_both_are_configured():
    both = WebhookAuth(Secret("tok"), "am", Secret("s3cret"))
    check_credentials({"Authorization": "Bearer tok"}, both)
    check_credentials(basic("am", "s3cret"), both)


def test_grafana_signature_with_a_timestamp_header():
    cfg = GrafanaIntake(
        hmac_secret=Secret(VECTORS["secret"]),
        hmac_timestamp_header="X-Grafana-Alerting-Timestamp",
    )
    headers = VECTORS["with_timestamp_header"]["headers"]
    body = VECTORS["body"].encode()
    check_grafana_signature(headers, body, cfg, SIGNED_AT)
    late = datetime.fromtimestamp(1795491300 + 301, UTC)
    assert rejected(check_grafana_signature, headers, body, cfg, late) == (403, "replayed")
    no_stamp = {k: v for k, v in headers.items() if k != "X-Grafana-Alerting-Timestamp"}
    assert rejected(check_grafana_signature, no_stamp, body, cfg, SIGNED_AT)[0] == 401
    bad_stamp = {**headers, "X-Grafana-Alerting-Timestamp": "soon"}
    assert rejected(check_grafana_signature, bad_stamp, body, cfg, SIGNED_AT)[0] == 403
    moved = {**headers, "X-Grafana-Alerting-Timestamp": "1795491299"}
    assert rejected(check_grafana_signature, moved, body, cfg, SIGNED_AT)[0] == 403


def test_a_configured_header_name_is_the_one_read():
    cfg = GrafanaIntake(
        hmac_secret=Secret(VECTORS["secret"]), hmac_header="X-Grafana-Alert-Signature"
    )
    signature = VECTORS["without_timestamp_header"]["headers"]["X-Grafana-Alerting-Signature"]
    body = VECTORS["body"].encode()
    check_grafana_signature({"X-Grafana-Alert-Signature": signature}, body, cfg, SIGNED_AT)
    headers = {"X-Grafana-Alerting-Signature": signature}
    assert rejected(check_grafana_signature, headers, body, cfg, SIGNED_AT)[0] == 401


def test_url_token():
    check_url_token("tok", Secret("tok"))
    assert rejected(check_url_token, "", Secret("tok"))[0] == 401
    assert rejected(check_url_token, "tik", Secret("tok"))[0] == 403


def test_receivers_without_credentials_are_named_for_the_start_up_warning(settings):
    from broadcaster.intake_settings import IntakeSettings
    from broadcaster.web.webhooks_intake import open_receivers

    assert open_receivers(settings.intake) == []
    everything_open = ["alertmanager", "grafana", "pagerduty", "statuspage"]
    assert open_receivers(IntakeSettings()) == everything_open
