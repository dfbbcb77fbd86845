"""``broadcaster demo``: the whole story on one machine, no WhatsApp account needed.

Redis (the configured one if it answers, else a private redis-server), the Cloud API simulator,
the HTTP server and a worker run in this process. A few hundred sample customers are imported,
an outage arrives the way Alertmanager would send it, the notice goes out under the real
pacing, signed status webhooks come back, and a summary is printed.
"""

from __future__ import annotations

import contextlib
import dataclasses
import sys
import uuid
from collections.abc import AsyncIterator
from typing import Any, TextIO

from broadcaster.adapters.redis_connection import connect
from broadcaster.clock import monotonic
from broadcaster.config import Settings
from broadcaster.demo_data import sample_customers
from broadcaster.domain.timefmt import parse_rfc3339
from broadcaster.local_stack import LocalStack, local_stack
from broadcaster.simulator import SimulatorConfig

DEMO_NUMBERS = ("1000000000001", "1000000000002")
# the alert as Alertmanager's webhook carries it (same shape as the v4 payload)
DEMO_ALERT: dict[str, Any] = {
    "status": "firing",
    "labels": {
        "alertname": "FiberLinkDown",
        "region": "jkt-selatan",
        "service": "fiber",
        "severity": "critical",
    },
    "annotations": {
        "summary": "Gangguan jaringan fiber di Jakarta Selatan",
        "customer_impact": "Internet fiber terputus",
    },
}


def demo_simulator() -> SimulatorConfig:
    """A realistic Meta: 2 numbers, most messages delivered, some read, a few unreachable."""
    unreachable = frozenset(f"62812{i:07d}" for i in (4, 52, 100))
    return SimulatorConfig(
        phone_number_ids=DEMO_NUMBERS,
        delivered_ratio=0.97,
        read_ratio=0.6,
        status_delay_s=(0.02, 0.3),
        undeliverable_numbers=unreachable,
        seed=7,
    )


@contextlib.asynccontextmanager
async def isolated(settings: Settings, redis_url: str) -> AsyncIterator[Settings]:
    """On a Redis we did not start, use a key prefix of our own and remove only our keys."""
    if not settings.redis.url_was_set and redis_url != settings.redis.url:
        yield settings  # our private server: it goes away with us
        return
    prefix = f"obdemo-{uuid.uuid4().hex[:8]}"
    redis_settings = dataclasses.replace(
        settings.redis, key_prefix=prefix, queue_name=f"{prefix}:queue"
    )
    try:
        yield dataclasses.replace(settings, redis=redis_settings)
    finally:
        redis = connect(redis_settings, redis_url)
        try:
            async for key in redis.scan_iter(match=f"{prefix}:*", count=1000):
                await redis.unlink(key)
        finally:
            await redis.aclose()


async def run_demo(settings: Settings, redis_url: str, out: TextIO = sys.stdout) -> int:
    started = monotonic()

    def say(text: str) -> None:
        print(text, file=out, flush=True)

    async with (
        isolated(settings, redis_url) as demo_settings,
        local_stack(demo_settings, redis_url, demo_simulator()) as stack,
    ):
        customers = sample_customers(600)
        result = await stack.deps.directory.upsert(customers)
        say(f"customers   {result.created} imported, {result.updated} updated")
        stack.start_worker()
        incident = await declare_from_alert(stack, DEMO_ALERT)
        say(f"incident    {incident['id']} declared from alert {DEMO_ALERT['labels']['alertname']}")
        report = await stack.wait_for(lambda: notice_settled(stack, incident["id"]), limit=120)
        print_summary(say, report, stack, monotonic() - started)
    return 0


async def declare_from_alert(stack: LocalStack, alert: dict[str, Any]) -> dict[str, Any]:
    labels = alert["labels"]
    incident: dict[str, Any] = await stack.call(
        "POST",
        "/api/v1/incidents",
        {
            "title": alert["annotations"]["summary"],
            "severity": labels.get("severity", "major"),
            "segments": ["fiber"],
            "labels": {k: labels[k] for k in ("region", "service") if k in labels},
            "summary": alert["annotations"].get("customer_impact"),
        },
    )
    return incident


async def notice_settled(stack: LocalStack, incident_id: str) -> dict[str, Any] | None:
    """The report once the notice is done and every message has its last status."""
    report = await stack.report(incident_id)
    notices = [b for b in report["broadcasts"] if b["kind"] == "notice"]
    if not notices or notices[0]["status"] != "done":
        return None
    await stack.sim.simulator.wait_webhooks_idle()
    report = await stack.report(incident_id)
    return report


def print_summary(say: Any, report: dict[str, Any], stack: LocalStack, elapsed: float) -> None:
    audience = report["audience"]
    notice = report["messages"]["notice"]
    broadcast = next(b for b in report["broadcasts"] if b["kind"] == "notice")
    tiers = ", ".join(f"{tier} {count}" for tier, count in audience["by_tier"].items() if count)
    say(f"audience    {audience['affected']} affected, {audience['notified']} notified ({tiers})")
    say(
        f"notice      sent {notice['sent']}, delivered {notice['delivered']}, "
        f"read {notice['read']}, failed {notice['failed']}"
    )
    say(f"simulator   accepted {len(stack.sim.simulator.accepted)} messages")
    started = parse_rfc3339(report["incident"]["started_at"])
    leads = []
    for label, key in (("first message", "first_at"), ("half", "p50_at"), ("95%", "p95_at")):
        at = parse_rfc3339(broadcast.get(key))
        if started and at:
            leads.append(f"{label} {(at - started).total_seconds():.2f} s")
    say(f"lead time   {', '.join(leads)} after the alert")
    say(f"elapsed     {elapsed:.1f} s")
