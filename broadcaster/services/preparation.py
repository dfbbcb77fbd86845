"""What each recipient of a chunk gets: a rendered message, a hold, or nothing.

Everything a message depends on is read fresh at send time, so no recipient gets a stale
state: the incident as it is now (its ETA padded and rounded as customers are told), the
other active incidents the customer is in (one message carries the whole thread), the
customer's voucher, and the customer's cadence record (quiet hours, minimum interval,
messages per incident, and whether they were already told this revision).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import lru_cache
from typing import Any

from jinja2 import TemplateError

from broadcaster.adapters.broadcast_store import Broadcast
from broadcaster.adapters.cadence_store import CadenceRecord
from broadcaster.domain.cadence import CadencePolicy, Verdict, for_customer, honest_eta
from broadcaster.domain.compensation import format_money
from broadcaster.domain.customers import Customer
from broadcaster.domain.incidents import ACTIVE, Incident
from broadcaster.domain.templates import Kind, RenderedMessage
from broadcaster.domain.timefmt import parse_rfc3339
from broadcaster.domain.vouchers import Voucher, VoucherStatus
from broadcaster.errors import InputError
from broadcaster.localization import format_local, zone
from broadcaster.rendering import Renderer
from broadcaster.services.context import customer_context, incident_context

logger = logging.getLogger(__name__)
# kinds that obey the customer's cadence record (notices and resolutions always go)
CADENCED = frozenset({Kind.UPDATE, Kind.FOLLOW_UP})


@dataclass
class RunContext:
    """What one pass over a chunk needs, read once."""

    incident: Incident
    base: dict[str, Any]
    now: datetime
    others: list[Incident] = field(default_factory=list)
    memberships: dict[int, list[Incident]] = field(default_factory=dict)
    vouchers: dict[int, Voucher] = field(default_factory=dict)
    cadence: dict[int, CadenceRecord] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Ready:
    message: RenderedMessage


@dataclass(frozen=True, slots=True)
class Hold:
    until: datetime
    reason: str


@dataclass(frozen=True, slots=True)
class Skip:
    reason: str


def run_context(
    incident: Incident, business_name: str, now: datetime, policy: CadencePolicy
) -> RunContext:
    told = incident_with_told_eta(incident, policy)
    return RunContext(incident=told, base=incident_context(told, business_name), now=now)


def incident_with_told_eta(incident: Incident, policy: CadencePolicy) -> Incident:
    """The incident as customers hear it: its ETA padded and rounded up (honest ETA)."""
    return replace(incident, eta=honest_eta(incident.eta, policy))


def prepare(
    broadcast: Broadcast,
    run: RunContext,
    ordinal: int,
    customer: Customer | None,
    opted_out: bool,
    renderer: Renderer,
    policy: CadencePolicy,
    cache: dict[tuple[Any, ...], str],
    *,
    retry: bool = False,
) -> Ready | Hold | Skip:
    """The message for one recipient, or why it waits or is dropped.

    ``retry``: the recipient was claimed before (a refusal to retry, an unknown outcome to
    resend). The cadence rules decided on the first attempt; that claim also updated the
    customer's record, so judging again would hold or skip the message because of itself.
    """
    if customer is None:
        return Skip("erased")
    if opted_out:
        return Skip("opted_out")  # opted out since the audience was drawn: opt-out wins
    if broadcast.kind in CADENCED and not retry:
        decision = _cadence(broadcast, run, ordinal, customer, policy)
        if decision is not None:
            return decision
    extra = dict(broadcast.context.get("extra") or {})
    if broadcast.kind is Kind.VOUCHER:
        voucher = run.vouchers.get(ordinal)
        if voucher is None or voucher.status is not VoucherStatus.ISSUED:
            return Skip("no_voucher")
        extra["voucher"] = voucher_fields(voucher, customer)
    extra["next_update"] = _local(broadcast.context.get("next_update_at"), customer)
    extra["others"] = [
        {"title": other.title, "eta": _local_time(other.eta, customer)}
        for other in run.memberships.get(ordinal, [])
    ]
    extra.setdefault("still_working", False)
    context = customer_context(run.base, run.incident, customer, extra)
    try:
        return Ready(renderer.render(broadcast.kind, customer.language, context, cache))
    except InputError:
        logger.warning("no template", extra={"broadcast_id": broadcast.id})
        return Skip("no_template")
    except TemplateError as exc:
        # the start-up check rendered every template with its kind's variables, so this is
        # one customer's data (an attribute the template reads that this record lacks):
        # skip them, loudly, rather than fail the chunk for everyone after them
        logger.error(
            "template cannot be filled for a customer",
            extra={"broadcast_id": broadcast.id, "error": str(exc)[:200]},
        )
        return Skip("template_error")


def _cadence(
    broadcast: Broadcast,
    run: RunContext,
    ordinal: int,
    customer: Customer,
    policy: CadencePolicy,
) -> Hold | Skip | None:
    record = run.cadence.get(ordinal)
    incident_id = broadcast.incident_id
    if broadcast.kind is Kind.UPDATE and _already_told(broadcast, record):
        return Skip("already_told")  # a newer update of this incident reached them first
    local_now = run.now.astimezone(zone(customer.timezone))
    decision = for_customer(
        broadcast.kind,
        run.incident.severity,
        local_now,
        record.last.astimezone(local_now.tzinfo) if record and record.last else None,
        record.sent.get(incident_id, 0) if record else 0,
        policy,
    )
    if decision.verdict is Verdict.DROP:
        return Skip(decision.reason)
    if decision.verdict is Verdict.HOLD and decision.until is not None:
        return Hold(decision.until, decision.reason)
    return None


def _already_told(broadcast: Broadcast, record: CadenceRecord | None) -> bool:
    if record is None or broadcast.context.get("extra", {}).get("still_working"):
        return False
    told = record.told.get(broadcast.incident_id, 0)
    return told >= int(broadcast.context.get("revision", 0))


def voucher_fields(voucher: Voucher, customer: Customer) -> dict[str, str]:
    expires = parse_rfc3339(voucher.expires)
    decimals = max(0, -voucher.value.as_tuple().exponent)  # type: ignore[operator]
    return {
        "code": voucher.code,
        "value": format_money(voucher.value, voucher.currency, decimals),
        "expires": _local_date(expires, customer) if expires else "",
    }


def memberships(
    others: list[Incident], seen: Mapping[str, list[bool]], ordinals: list[int]
) -> dict[int, list[Incident]]:
    """For each ordinal, the other active incidents whose audiences it is in."""
    out: dict[int, list[Incident]] = {}
    for incident in others:
        if incident.status not in ACTIVE:
            continue
        for ordinal, member in zip(ordinals, seen.get(incident.id, []), strict=False):
            if member:
                out.setdefault(ordinal, []).append(incident)
    return out


@lru_cache(maxsize=64)
def _parsed(value: str) -> datetime | None:
    return parse_rfc3339(value)  # one broadcast-wide time, read for every recipient


def _local(value: str | None, customer: Customer) -> str:
    moment = _parsed(value) if value else None
    return format_local(moment, customer.timezone, customer.language) if moment else ""


def _local_time(moment: datetime | None, customer: Customer) -> str:
    return format_local(moment, customer.timezone, customer.language) if moment else ""


def _local_date(moment: datetime, customer: Customer) -> str:
    from babel.dates import format_date

    from broadcaster.localization import locale

    local = moment.astimezone(zone(customer.timezone))
    return format_date(local.date(), "d MMM y", locale=locale(customer.language))
