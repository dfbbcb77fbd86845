"""Vouchers on resolution: one per (incident, customer), sized by the compensation policy.

Idempotent by construction: the code is derived from (incident, customer) and the ledger
entry is written once (issue_voucher.lua), so re-running the job — or a crash in the middle —
never mints a second code or a different value. With an HTTP provider, a voucher the
provider has not confirmed stays pending and is retried; its message follows once it is.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from broadcaster.adapters.deliveries import DeliveryTimes
from broadcaster.adapters.directory import Directory
from broadcaster.adapters.incident_store import IncidentStore
from broadcaster.adapters.voucher_issuers import ProviderUnavailable, VoucherIssuer
from broadcaster.adapters.voucher_store import VoucherStore
from broadcaster.clock import Clock
from broadcaster.config import Settings
from broadcaster.domain.compensation import CompensationPolicy, Exposure, award
from broadcaster.domain.customers import Customer
from broadcaster.domain.incidents import Incident, Status
from broadcaster.domain.templates import Kind
from broadcaster.domain.timefmt import format_rfc3339
from broadcaster.domain.vouchers import Voucher, VoucherStatus, voucher_code
from broadcaster.metrics import VOUCHER_VALUE, VOUCHERS_ISSUED
from broadcaster.ports import JobQueue
from broadcaster.services.planning import Planner

logger = logging.getLogger(__name__)
BATCH = 1000


@dataclass(frozen=True, slots=True)
class IssueReport:
    issued: int
    pending: int
    excluded: int


@dataclass
class VoucherService:
    settings: Settings
    clock: Clock
    incidents: IncidentStore
    directory: Directory
    store: VoucherStore
    issuer: VoucherIssuer
    policy: CompensationPolicy
    planner: Planner
    queue: JobQueue
    deliveries: DeliveryTimes
    _generated_secret: str = ""

    async def issue_for_incident(self, incident_id: str) -> IssueReport:
        """Award every customer the resolution goes to; send the issued vouchers."""
        incident = await self.incidents.get(incident_id)
        if incident.status is not Status.RESOLVED or not self.settings.compensation.enabled:
            return IssueReport(0, 0, 0)
        audience = await self.planner.resolution_audience(incident)
        told_at = await self._told_at(incident) if self.policy.measure_from == "customer" else {}
        issued: list[int] = []
        pending = excluded = 0
        for start in range(0, len(audience), BATCH):
            batch = audience[start : start + BATCH]
            customers = await self.directory.get_many(batch)
            for ordinal, customer in zip(batch, customers, strict=True):
                if customer is None:
                    continue  # erased since
                outcome = await self._award_one(incident, ordinal, customer, told_at.get(ordinal))
                excluded += outcome == "excluded"
            for ordinal, voucher in zip(
                batch, await self.store.get_many(incident.id, batch), strict=True
            ):
                if voucher is None:
                    continue
                if voucher.status is VoucherStatus.ISSUED:
                    issued.append(ordinal)
                else:
                    pending += 1
        if issued:
            await self.planner.plan(incident.id, Kind.VOUCHER, "v1", recipients=issued)
        if pending:
            await self._retry_later(incident.id, 1)
        logger.info(
            "vouchers issued",
            extra={"incident_id": incident.id, "issued": len(issued), "pending": pending},
        )
        return IssueReport(len(issued), pending, excluded)

    async def retry_pending(self, incident_id: str, round_: int) -> IssueReport:
        """Ask the provider again for pending vouchers; send those it now confirms."""
        confirmed: list[int] = []
        still = 0
        for ordinal, voucher in await self.store.pending(incident_id):
            try:
                reference = await self.issuer.issue(voucher)
            except ProviderUnavailable:
                still += 1
                continue
            issued = dataclasses.replace(
                voucher, status=VoucherStatus.ISSUED, provider_ref=reference
            )
            await self.store.confirm(ordinal, issued)
            confirmed.append(ordinal)
        if confirmed:
            await self.planner.plan(
                incident_id, Kind.VOUCHER, f"v{round_ + 1}", recipients=confirmed
            )
        if still:
            await self._retry_later(incident_id, round_ + 1)
        return IssueReport(len(confirmed), still, 0)

    async def _award_one(
        self, incident: Incident, ordinal: int, customer: Customer, told_at: datetime | None
    ) -> str:
        assert incident.resolved_at is not None
        exposure = Exposure(
            tier=customer.tier,
            started=told_at or incident.started_at,
            resolved=incident.resolved_at,
            monthly_fee=_fee(customer, self.settings.compensation.monthly_fee_attribute),
        )
        granted = award(self.policy, incident.severity, exposure)
        if granted is None:
            return "none"
        now = self.clock()
        http = self.settings.vouchers.issuer == "http"
        voucher = Voucher(
            incident_id=incident.id,
            customer_id=customer.customer_id,
            code=voucher_code(
                await self._code_secret(),
                incident.id,
                customer.customer_id,
                self.settings.vouchers.prefix,
            ),
            value=granted.value,
            currency=granted.currency,
            expires=format_rfc3339(now + self.settings.vouchers.valid_for) or "",
            issued_at=format_rfc3339(now) or "",
            status=VoucherStatus.PENDING if http else VoucherStatus.ISSUED,
            reason=granted.reason,
            tier=customer.tier,
        )
        month = now.strftime("%Y-%m")
        outcome = await self.store.record(ordinal, voucher, month, self.policy.once_per_month)
        if outcome != "new":
            return outcome
        VOUCHERS_ISSUED.labels(customer.tier or "none").inc()
        VOUCHER_VALUE.labels(customer.tier or "none", granted.currency).inc(float(granted.value))
        if http:
            try:
                reference = await self.issuer.issue(voucher)
            except ProviderUnavailable:
                return "pending"
            issued = dataclasses.replace(
                voucher, status=VoucherStatus.ISSUED, provider_ref=reference
            )
            await self.store.confirm(ordinal, issued)
        return "new"

    async def _code_secret(self) -> str:
        configured = self.settings.vouchers.secret.reveal()
        if configured:
            return configured
        if not self._generated_secret:
            self._generated_secret = await self.store.code_secret()
        return self._generated_secret

    async def _told_at(self, incident: Incident) -> dict[int, datetime]:
        """When each customer's notice was delivered (the "customer" measure)."""
        told: dict[int, datetime] = {}
        for broadcast in await self.planner.broadcasts.for_incident(incident.id):
            if broadcast.kind is Kind.NOTICE:
                audience = await self.deliveries.audience(broadcast.id)
                for ordinal, ms in audience.delivered_ms.items():
                    told.setdefault(ordinal, datetime.fromtimestamp(ms / 1000, UTC))
        return told

    async def _retry_later(self, incident_id: str, round_: int) -> None:
        await self.queue.enqueue(
            "retry_vouchers",
            incident_id,
            round_,
            job_id=f"vouchers-retry:{incident_id}:{round_}",
            defer_seconds=self.settings.vouchers.retry_every.total_seconds(),
        )


def _fee(customer: Customer, attribute: str) -> Decimal | None:
    raw = customer.attributes.get(attribute)
    if not raw:
        return None
    try:
        return Decimal(raw)
    except InvalidOperation:
        return None
