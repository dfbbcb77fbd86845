"""Who may post signals: bearer or basic credentials, HMAC signatures, a secret URL token.

Each check compares in constant time and raises ``WebhookRejected``: 401 when a credential is
missing, 403 when it is wrong or stale. Neither is retried by Alertmanager or PagerDuty, which
is right: a retry cannot fix a credential. A check whose secret is not configured passes
(CONTRACT.md: "when set, the receiver requires them").
"""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Mapping
from datetime import datetime, timedelta

from broadcaster.domain.signatures import grafana_signature_valid, pagerduty_signature_valid
from broadcaster.errors import WebhookRejected
from broadcaster.intake_settings import GrafanaIntake, WebhookAuth
from broadcaster.typed_config import Secret

SIGNATURE_TOLERANCE = timedelta(minutes=5)  # how far a signed timestamp may be from our clock


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


def _missing(what: str) -> WebhookRejected:
    return WebhookRejected(401, "credentials_missing", f"{what} is missing")


def _wrong(what: str) -> WebhookRejected:
    return WebhookRejected(403, "credentials_invalid", f"{what} does not match")


def check_credentials(headers: Mapping[str, str], auth: WebhookAuth) -> None:
    """``Authorization: Bearer <token>`` or ``Basic <user:password>``, as configured."""
    if not auth.bearer_token and not auth.basic_password:
        return
    scheme, _, value = headers.get("Authorization", "").partition(" ")
    value = value.strip()
    if not value:
        raise _missing("Authorization header")
    if scheme.lower() == "bearer" and auth.bearer_token:
        valid = _same(value, auth.bearer_token.reveal())
    elif scheme.lower() == "basic" and auth.basic_password:
        user, password = _basic(value)
        valid = _same(user, auth.basic_username) & _same(password, auth.basic_password.reveal())
    else:
        valid = False
    if not valid:
        raise _wrong("Authorization header")


def _basic(value: str) -> tuple[str, str]:
    try:
        decoded = base64.b64decode(value, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return "", ""
    user, _, password = decoded.partition(":")
    return user, password


def check_grafana_signature(
    headers: Mapping[str, str], body: bytes, cfg: GrafanaIntake, now: datetime
) -> None:
    """Grafana 12+ HMAC; with a timestamp header, a timestamp off by minutes is a replay."""
    if not cfg.hmac_secret:
        return
    signature = headers.get(cfg.hmac_header)
    if not signature:
        raise _missing(f"{cfg.hmac_header} header")
    timestamp = None
    if cfg.hmac_timestamp_header:
        timestamp = headers.get(cfg.hmac_timestamp_header)
        if not timestamp:
            raise _missing(f"{cfg.hmac_timestamp_header} header")
        if not timestamp.isdigit():
            raise _wrong(f"{cfg.hmac_timestamp_header} header")
        if abs(now.timestamp() - int(timestamp)) > SIGNATURE_TOLERANCE.total_seconds():
            raise WebhookRejected(403, "replayed", "signed timestamp is too far from now")
    if not grafana_signature_valid(cfg.hmac_secret.reveal(), body, signature, timestamp):
        raise _wrong(f"{cfg.hmac_header} header")


def check_pagerduty_signature(headers: Mapping[str, str], body: bytes, secret: Secret) -> None:
    if not secret:
        return
    header = headers.get("X-PagerDuty-Signature")
    if not header:
        raise _missing("X-PagerDuty-Signature header")
    if not pagerduty_signature_valid(secret.reveal(), body, header):
        raise _wrong("X-PagerDuty-Signature header")


def check_url_token(given: str | None, token: Secret) -> None:
    """Statuspage signs nothing: a secret token in the URL stands in for a signature."""
    if not token:
        return
    if not given:
        raise _missing("token (in the path or ?token=)")
    if not _same(given, token.reveal()):
        raise _wrong("token")
