"""Helpers for the inbound scenarios: customers, waiting for notices and an idle worker."""

from __future__ import annotations

from typing import Any

from broadcaster.domain.customers import Customer
from broadcaster.local_stack import LocalStack


def customer(
    number: int,
    language: str = "id",
    region: str = "jkt-selatan",
    timezone: str = "Asia/Jakarta",
    name: str = "Siti Rahayu",
) -> Customer:
    return Customer(
        customer_id=f"C{number:05d}",
        phone=f"+628110{number:07d}",
        opt_in=True,
        name=name,
        language=language,
        timezone=timezone,
        tier="gold",
        attributes={"region": region, "service": "fiber"},
    )


async def notice_done(stack: LocalStack, incident_id: str) -> dict[str, Any] | None:
    """The report once the incident's notices are done and their statuses are in."""
    report = await stack.report(incident_id)
    notices = [b for b in report["broadcasts"] if b["kind"] == "notice"]
    if not notices or any(b["status"] != "done" for b in notices):
        return None
    progress = report["messages"]["notice"]
    if progress["delivered"] + progress["failed"] < report["audience"]["notified"]:
        return None
    return report


async def drained(stack: LocalStack) -> bool:
    """No job waiting or running: every inbound message so far has been handled."""
    deps = stack.deps
    # job ids only: a job's definition may vanish between listing and reading it
    queued = await deps.arq.zrange(deps.settings.redis.queue_name, 0, -1)
    inbound = f"{deps.settings.redis.key_prefix}:in:"
    running = await deps.arq.keys(f"arq:in-progress:{inbound}*")
    return not [j for j in queued if j.decode().startswith(inbound)] and not running


def texts_to(stack: LocalStack, wa_id: str) -> list[str]:
    """Every free-form text the simulator accepted for ``wa_id``, in order."""
    return [m.text or "" for m in stack.sim.simulator.accepted if m.to == wa_id and m.text]


async def declare(stack: LocalStack, **extra: Any) -> dict[str, Any]:
    body = {"title": "Gangguan fiber", "segments": ["fiber"], "labels": {"region": "jkt-selatan"}}
    incident: dict[str, Any] = await stack.call("POST", "/api/v1/incidents", {**body, **extra})
    return incident
