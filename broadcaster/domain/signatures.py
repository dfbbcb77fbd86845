"""Webhook signatures: HMAC-SHA256 over the raw body, compared in constant time.

Pure functions over bytes; the web layer reads the raw body and the header and asks here.
"""

from __future__ import annotations

import hashlib
import hmac


def hmac_sha256_hex(secret: bytes, message: bytes) -> str:
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def meta_signature(app_secret: str, body: bytes) -> str:
    """The ``X-Hub-Signature-256`` value Meta sends: ``sha256=<hex HMAC(app_secret, body)>``."""
    return "sha256=" + hmac_sha256_hex(app_secret.encode(), body)


def meta_signature_valid(app_secret: str, body: bytes, header: str) -> bool:
    """True when ``header`` is Meta's signature of ``body`` (constant-time comparison)."""
    return hmac.compare_digest(meta_signature(app_secret, body).encode(), header.strip().encode())
