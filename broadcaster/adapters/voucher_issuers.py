"""Who makes a voucher valid: our own ledger, or an HTTP voucher/billing provider.

The HTTP issuer POSTs each voucher with an ``Idempotency-Key`` derived from (incident,
customer), so a retry after a lost answer cannot create a second credit on the provider's
side; short outages are retried in the call (tenacity); a provider that stays down leaves
the voucher pending, and the voucher service retries it later.
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

import aiohttp
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from broadcaster.domain.vouchers import Voucher
from broadcaster.errors import BroadcasterError
from broadcaster.metrics import VOUCHER_PROVIDER_REQUESTS
from broadcaster.typed_config import Secret

logger = logging.getLogger(__name__)


class ProviderUnavailable(BroadcasterError):
    """The provider did not confirm the voucher; it stays pending."""


class VoucherIssuer(Protocol):
    async def issue(self, voucher: Voucher) -> str:
        """Make ``voucher`` valid; returns the provider's reference ("" for none)."""
        ...


class BuiltinIssuer:
    """Our ledger is the system of record: a recorded voucher is valid."""

    async def issue(self, voucher: Voucher) -> str:
        return ""


class _Retryable(BroadcasterError):
    pass


class HttpIssuer:
    def __init__(
        self, session: aiohttp.ClientSession, url: str, token: Secret, timeout: float
    ) -> None:
        self._session = session
        self._url = url
        self._token = token
        self._timeout = aiohttp.ClientTimeout(total=timeout)

    async def issue(self, voucher: Voucher) -> str:
        try:
            async for attempt in AsyncRetrying(
                retry=retry_if_exception_type(_Retryable),
                stop=stop_after_attempt(3),
                wait=wait_exponential(multiplier=0.2, max=2),
                reraise=True,
            ):
                with attempt:
                    return await self._post(voucher)
        except _Retryable as exc:
            raise ProviderUnavailable(str(exc)) from exc
        raise AssertionError("unreachable")  # pragma: no cover - tenacity reraises

    async def _post(self, voucher: Voucher) -> str:
        headers = {"Idempotency-Key": f"{voucher.incident_id}|{voucher.customer_id}"}
        if self._token:
            headers["Authorization"] = f"Bearer {self._token.reveal()}"
        try:
            async with self._session.post(
                self._url, json=voucher.to_dict(), headers=headers, timeout=self._timeout
            ) as response:
                body: Any = (
                    await response.json(content_type=None) if response.content_length != 0 else {}
                )
                status = response.status
        except TimeoutError as exc:
            VOUCHER_PROVIDER_REQUESTS.labels("timeout").inc()
            raise _Retryable(f"voucher provider: {exc!r}") from exc
        except (aiohttp.ClientError, ValueError) as exc:
            VOUCHER_PROVIDER_REQUESTS.labels("error").inc()
            raise _Retryable(f"voucher provider: {exc!r}") from exc
        VOUCHER_PROVIDER_REQUESTS.labels("ok" if status < 400 else "error").inc()
        if status >= 500 or status == 429:
            raise _Retryable(f"voucher provider answered {status}")
        if status >= 400:
            # a refusal is not an outage: keep it pending and visible rather than lose it
            raise ProviderUnavailable(f"voucher provider refused: {status} {str(body)[:200]}")
        return str((body or {}).get("id") or (body or {}).get("reference") or "")
