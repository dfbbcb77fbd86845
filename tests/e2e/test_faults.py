"""Meta misbehaving: 5xx, lost answers, throughput refusals, undeliverable numbers, a bad token.

Every recipient must end in a final state; permanent failures are never retried; a 190 holds
all sending, raises the metric the alert watches, and everything resumes by itself once the
token works again.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta

import pytest

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
        incident = await stack.call(
            "POST", "/api/v1/incidents", {"title": "Outage", "segments": ["fiber", "mobile-data"]}
        )
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

        async def finished():
            report = await stack.report(incident["id"])
            notice = report["broadcasts"][0]
            return report if notice["status"] == "done" and report["sending_hold"] is None else None

        report = await stack.wait_for(finished, limit=180)
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


async def held_metrics(stack: LocalStack) -> str | None:
    text = await (await stack.session.get(stack.api_url + "/metrics")).text()
    return text if metric(text, 'broadcaster_sender_paused{reason="token"}') == 1.0 else None
