"""Webhook signatures: HMAC-SHA256 over the raw body, compared in constant time.

Pure functions over bytes; the web layer reads the raw body and the header and asks here.
Always the raw bytes: re-serialised JSON differs (key order, spacing, escapes) and fails.
"""

from __future__ import annotations

import hashlib
import hmac


def hmac_sha256_hex(secret: bytes, message: bytes) -> str:
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def _matches(expected: str, given: str) -> bool:
    return hmac.compare_digest(expected.encode(), given.strip().encode())


def meta_signature(app_secret: str, body: bytes) -> str:
    """The ``X-Hub-Signature-256`` value Meta sends: ``sha256=<hex HMAC(app_secret, body)>``."""
    return "sha256=" + hmac_sha256_hex(app_secret.encode(), body)


def meta_signature_valid(app_secret: str, body: bytes, header: str) -> bool:
    """True when ``header`` is Meta's signature of ``body`` (constant-time comparison)."""
    return _matches(meta_signature(app_secret, body), header)


def pagerduty_signatures(header: str) -> list[str]:
    """The ``v1=`` values of ``X-PagerDuty-Signature`` (several while a secret rotates)."""
    entries = (entry.strip() for entry in header.split(","))
    return [entry[3:] for entry in entries if entry.startswith("v1=") and len(entry) > 3]


def pagerduty_signature_valid(secret: str, body: bytes, header: str) -> bool:
    """True when any ``v1=`` entry is the hex HMAC-SHA256 of ``body`` under ``secret``.

    Every entry is compared (no early exit), each in constant time. PagerDuty signs with each
    secret of a subscription during rotation, so one match is enough.
    """
    expected = hmac_sha256_hex(secret.encode(), body)
    results = [_matches(expected, given) for given in pagerduty_signatures(header)]
    return any(results)


def grafana_signature(secret: str, body: bytes, timestamp: str | None = None) -> str:
    """Grafana's HMAC (12.0+): hex HMAC-SHA256 of the body, or of ``"<timestamp>:<body>"``."""
    message = body if timestamp is None else timestamp.encode() + b":" + body
    return hmac_sha256_hex(secret.encode(), message)


def grafana_signature_valid(
    secret: str, body: bytes, signature: str, timestamp: str | None = None
) -> bool:
    return _matches(grafana_signature(secret, body, timestamp), signature.lower())
