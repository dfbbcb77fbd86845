"""The incident report (CONTRACT.md): audience, messages by kind, vouchers, deflection.

``full_report`` adds ``deflection`` (services.deflection) and ``messages.reply``, the answers
sent to customers who wrote in (sent and failed only: their delivery is not tracked).
"""

from __future__ import annotations

from typing import Any

from broadcaster.adapters.broadcast_store import Broadcast, BroadcastStore
from broadcaster.adapters.holds import Holds
from broadcaster.adapters.incident_store import IncidentStore
from broadcaster.bootstrap import Deps
from broadcaster.domain.deliveries import EMPTY_TALLY, Tally
from broadcaster.domain.templates import Kind
from broadcaster.services.answers import answer_counts
from broadcaster.services.deflection import incident_deflection
from broadcaster.services.planning import eta_kept

MILESTONES = ("first_at", "p50_at", "p95_at", "done_at")


def _money(stored: str | None) -> float:
    """Costs are summed as floats in Redis: report them to a millionth of the currency unit."""
    return round(float(stored or 0), 6)


async def broadcast_view(
    store: BroadcastStore, broadcast: Broadcast, now_s: int, tally: Tally | None = None
) -> dict[str, Any]:
    """One broadcast's progress, pace and cost; ``tally`` if the caller already read it."""
    if tally is None:
        tally = await store.tally(broadcast.id)
    milestones = {m: await store.meta_field(broadcast.id, m) for m in MILESTONES}
    rate = await store.rate(broadcast.id, now_s)
    cost = {
        "currency": broadcast.estimate.get("currency", ""),
        "estimated": broadcast.estimate.get("cost", 0.0),
        "sent_estimate": _money(await store.meta_field(broadcast.id, "cost_estimated")),
        "actual": _money(await store.meta_field(broadcast.id, "cost_actual")),
    }
    return {
        "id": broadcast.id,
        "kind": broadcast.kind.value,
        "status": broadcast.status.value,
        "reason": broadcast.reason,
        "recipients": broadcast.total,
        "progress": tally.to_dict(),
        "estimate": broadcast.estimate,
        "rate_per_second": rate,
        "seconds_to_finish": round(tally.queued / rate, 1) if rate and tally.queued else None,
        "cost": cost,
        "created_at": broadcast.created_at,
        **milestones,
    }


async def incident_report(
    incident_id: str,
    incidents: IncidentStore,
    broadcasts: BroadcastStore,
    holds: Holds,
    now_s: int,
) -> dict[str, Any]:
    incident = await incidents.get(incident_id)
    by_kind: dict[str, Tally] = {kind.value: EMPTY_TALLY for kind in Kind}
    audience: dict[str, int] = {"affected": 0, "notified": 0, "holdout": 0}
    by_tier: dict[str, int] = {}
    views = []
    for broadcast in await broadcasts.for_incident(incident_id):
        # read once: two reads a moment apart made "messages" and "progress" disagree while
        # status webhooks were still landing
        tally = await broadcasts.tally(broadcast.id)
        by_kind[broadcast.kind.value] += tally
        views.append(await broadcast_view(broadcasts, broadcast, now_s, tally))
        if broadcast.kind is Kind.NOTICE:
            summary = broadcast.context.get("audience", {})
            for key in ("affected", "notified", "holdout"):
                audience[key] += int(summary.get(key, 0))
            for tier, count in summary.get("by_tier", {}).items():
                by_tier[tier] = by_tier.get(tier, 0) + int(count)
    hold = await holds.get()
    currencies = {v["cost"]["currency"] for v in views if v["cost"]["currency"]}
    return {
        "incident": incident.to_dict(),
        "audience": {**audience, "by_tier": by_tier},
        "messages": {kind: tally.to_dict() for kind, tally in by_kind.items()},
        "vouchers": {"issued": 0, "pending": 0, "delivered": 0, "total_value": 0, "currency": ""},
        "deflection": {},
        "cost": {
            "currency": next(iter(currencies), ""),
            "estimated": round(sum(v["cost"]["estimated"] for v in views), 4),
            "actual": round(sum(v["cost"]["actual"] for v in views), 4),
        },
        "broadcasts": views,
        "sending_hold": None if hold is None else {"reason": hold.reason, "code": hold.code},
    }


async def full_report(deps: Deps, incident_id: str) -> dict[str, Any]:
    """The report as the API serves it, deflection and answers to customers included."""
    now_s = int(deps.clock().timestamp())
    report = await incident_report(
        incident_id, deps.incident_store, deps.broadcasts, deps.holds, now_s
    )
    incident = await deps.incident_store.get(incident_id)
    report["deflection"] = await incident_deflection(deps, incident)
    answers = await deps.inbound_records.answers(incident_id)
    report["messages"][Kind.REPLY.value] = answer_counts(answers)
    report["vouchers"] = await voucher_summary(deps, incident_id, report)
    report["follow_up"] = await follow_up_summary(deps, incident_id)
    report["eta"] = {
        "first_told": report["incident"].get("first_eta"),
        "kept": eta_kept(incident),
    }
    return report


async def voucher_summary(deps: Deps, incident_id: str, report: dict[str, Any]) -> dict[str, Any]:
    """Issued (in the ledger) vs delivered (their message reached the customer)."""
    totals = await deps.voucher_store.totals(incident_id)
    delivered = report["messages"][Kind.VOUCHER.value]["delivered"]
    return {
        "issued": int(totals.get("count", 0)),
        "pending": int(totals.get("pending", 0)),
        "delivered": delivered,
        "total_value": round(totals.get("value", 0.0), 6),
        "currency": deps.settings.compensation.currency,
    }


async def follow_up_summary(deps: Deps, incident_id: str) -> dict[str, Any]:
    answers = await deps.inbound_records.follow_up_answers(incident_id)
    scores = await deps.follow_ups.scores(incident_id)
    return {
        "answered_ok": sum(1 for a in answers.values() if a == "ok"),
        "answered_down": sum(1 for a in answers.values() if a == "down"),
        "cases": await deps.follow_ups.cases(incident_id),
        "csat": {
            "answers": len(scores),
            "average": round(sum(scores) / len(scores), 2) if scores else None,
        },
    }
