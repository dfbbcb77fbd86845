"""Meta misbehaving: 5xx, lost answers, throughput refusals, undeliverable numbers, a bad token.

Every recipient must end in a final state; permanent failures are never retried; a 190 holds
all sending, raises the metric the alert watches, and everything resumes by itself once the
token works again.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest

from broadcaster.services import holds as hold_service
from broadcaster.simulator import Faults, SimulatorConfig
from tests.e2e.harness import LocalStack, running_stack, sample_customers


def metric(text: str, name: str) -> float:
    for line in text.splitlines():
        if line.startswith(name + " ") or (
            line.startswith(name + "{") and line.split(" ")[0] == name
        ):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


@pytest.mark.slow
async def test_faults_end_in_final_states_and_a_bad_token_holds_then_resumes(settings, redis_url):
    customers = sample_customers(2000)
    unreachable = frozenset(c.wa_id for c in customers[::97])
    sim_config = SimulatorConfig(
        messages_per_second=0,
        pair_interval_s=0,
        undeliverable_numbers=unreachable,
        faults=Faults(error_5xx_ratio=0.05, drop_ratio=0.01),
        seed=5,
    )
    async with running_stack(
        settings,
        redis_url,
        sim_config,
        customers,
        messages_per_second=150.0,
        rate_safety=1.0,
        request_timeout=timedelta(seconds=2),
        reconcile_after=timedelta(seconds=3),
    ) as stack:
        sim = stack.sim.simulator
        stack.start_worker()
        incident = await declare_outage(stack)
        await stack.wait_for(lambda: len(sim.accepted) >= 300)
        sim.faults = Faults(error_5xx_ratio=0.05, drop_ratio=0.01, throttle_burst=25)
        await stack.wait_for(lambda: len(sim.accepted) >= 600)

        real_token = sim.config.access_token
        sim.set_access_token("rotated-by-someone")
        metrics = await stack.wait_for(lambda: held_metrics(stack), limit=30)
        assert metric(metrics, 'broadcaster_sender_paused{reason="token"}') == 1.0
        report = await stack.report(incident["id"])
        assert report["sending_hold"] == {"reason": "token", "code": 190}
        stalled = len(sim.accepted)
        await asyncio.sleep(2)
        assert len(sim.accepted) == stalled, "nothing is sent while the account is held"

        sim.set_access_token(real_token)

        await stack.wait_for(lambda: sending_done(stack, incident["id"]), limit=180)
        await sim.wait_webhooks_idle()
        report = await stack.report(incident["id"])
        metrics = await (await stack.session.get(stack.api_url + "/metrics")).text()

    notice = report["messages"]["notice"]
    total = report["audience"]["notified"]
    assert notice["queued"] == 0
    assert notice["sent"] + notice["failed"] + notice["skipped"] == total
    received = Counter(m.to for m in sim.accepted)
    assert all(received[n] == 1 for n in unreachable if n in received), (
        "permanent failures are never retried"
    )
    assert notice["failed"] >= len([n for n in unreachable if n in received])
    eligible = {c.wa_id for c in customers if c.opt_in}
    assert set(received) == eligible, "every eligible customer reached, nobody else"
    assert metric(metrics, 'broadcaster_sender_paused{reason="token"}') == 0.0
    errors = sim.report()["errors"]
    assert errors.get("130429", 0) >= 25
    assert errors.get("190", 0) >= 1
    duplicates = sum(received.values()) - len(received)
    print(f"faults: {total} recipients, {duplicates} duplicates, errors {errors}")


async def declare_outage(stack: LocalStack) -> dict[str, Any]:
    body = {"title": "Outage", "segments": ["fiber", "mobile-data"]}
    incident: dict[str, Any] = await stack.call("POST", "/api/v1/incidents", body)
    return incident


async def sending_done(stack: LocalStack, incident_id: str) -> dict[str, Any] | None:
    """The report once the notice is done and sending is not held."""
    report: dict[str, Any] = await stack.report(incident_id)
    done = report["broadcasts"][0]["status"] == "done" and report["sending_hold"] is None
    return report if done else None


async def held_metrics(stack: LocalStack) -> str | None:
    text = await (await stack.session.get(stack.api_url + "/metrics")).text()
    return text if metric(text, 'broadcaster_sender_paused{reason="token"}') == 1.0 else None


async def test_a_payment_failure_reported_after_acceptance_holds_sending_until_resumed(
    settings, redis_url
):
    """131042 arrives in a failed status webhook, after Meta took the message: sending stops
    (not one more customer is lost to it), the probe does not lift what it cannot verify, and
    an operator resumes; everyone not already lost is then reached exactly once."""
    customers = sample_customers(600)
    sim_config = SimulatorConfig(messages_per_second=0, pair_interval_s=0, seed=6)
    async with running_stack(
        settings, redis_url, sim_config, customers, messages_per_second=100.0, rate_safety=1.0
    ) as stack:
        sim = stack.sim.simulator
        stack.start_worker()
        incident = await declare_outage(stack)
        await stack.wait_for(lambda: len(sim.accepted) >= 100)
        sim.faults = Faults(webhook_failure_ratio=1.0, webhook_failure_code=131042)

        async def held() -> Any:
            report = await stack.report(incident["id"])
            return report if report["sending_hold"] else None

        report = await stack.wait_for(held, limit=30)
        assert report["sending_hold"] == {"reason": "payment", "code": 131042}
        await sim.wait_webhooks_idle()
        stalled = len(sim.accepted)
        assert not await hold_service.probe(stack.deps), "a token read cannot prove billing fixed"
        await asyncio.sleep(2)
        assert len(sim.accepted) == stalled, "nothing is sent while the account is held"
        view = await stack.call("GET", "/api/v1/sending")
        assert view["hold"]["lifted_by"] == "operator"

        sim.faults = Faults()
        await stack.call("POST", "/api/v1/sending/resume", {})

        await stack.wait_for(lambda: sending_done(stack, incident["id"]), limit=120)
        await sim.wait_webhooks_idle()
        report = await stack.report(incident["id"])

    lost = {m.to for m in sim.accepted if m.error_code == 131042}
    received = Counter(m.to for m in sim.accepted)
    eligible = {c.wa_id for c in customers if c.opt_in}
    assert set(received) == eligible, "every eligible customer was tried"
    assert all(count == 1 for count in received.values()), "nobody twice"
    assert report["messages"]["notice"]["failed"] == len(lost)
    assert report["messages"]["notice"]["delivered"] == len(eligible) - len(lost)
    print(f"payment failure: {len(lost)} of {len(eligible)} lost before the hold")
