"""Voucher codes and ledger entries.

A code is an HMAC of (incident, customer) under a configured secret: the same customer and
incident always get the same code (re-running issuance cannot mint a second one), and without
the secret nobody can guess a valid code. 60 bits, in groups of four for reading aloud.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any


def voucher_code(secret: str, incident_id: str, customer_id: str, prefix: str = "OB") -> str:
    digest = hmac.new(secret.encode(), f"{incident_id}|{customer_id}".encode(), hashlib.sha256)
    letters = base64.b32encode(digest.digest()).decode()[:12]
    return f"{prefix}-{letters[:4]}-{letters[4:8]}-{letters[8:12]}"


class VoucherStatus(StrEnum):
    ISSUED = "issued"  # the code is valid and can be sent
    PENDING = "pending"  # the provider has not confirmed it yet; retried until it does


@dataclass(frozen=True, slots=True)
class Voucher:
    incident_id: str
    customer_id: str
    code: str
    value: Decimal
    currency: str
    expires: str  # RFC 3339
    issued_at: str
    status: VoucherStatus
    reason: str
    tier: str = ""
    provider_ref: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "incident_id": self.incident_id,
            "customer_id": self.customer_id,
            "code": self.code,
            "value": str(self.value),
            "currency": self.currency,
            "expires": self.expires,
            "issued_at": self.issued_at,
            "status": self.status.value,
            "reason": self.reason,
            "tier": self.tier,
            "provider_ref": self.provider_ref,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Voucher:
        return cls(
            incident_id=data["incident_id"],
            customer_id=data["customer_id"],
            code=data["code"],
            value=Decimal(data["value"]),
            currency=data["currency"],
            expires=data["expires"],
            issued_at=data["issued_at"],
            status=VoucherStatus(data["status"]),
            reason=data.get("reason", ""),
            tier=data.get("tier", ""),
            provider_ref=data.get("provider_ref", ""),
        )
