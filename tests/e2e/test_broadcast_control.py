"""Commanders steer broadcasts: pause, resume, cancel; the messaging limit holds the rest."""

from __future__ import annotations

import asyncio

from broadcaster.simulator import SimulatorConfig
from tests.e2e.harness import LocalStack, running_stack, sample_customers

TIERS = ["platinum", "gold", "silver", "standard"]


async def notice_id(stack: LocalStack, incident_id: str) -> str:
    """The id of the incident's notice broadcast, once planned."""

    async def planned() -> str | None:
        broadcasts = (await stack.report(incident_id))["broadcasts"]
        return str(broadcasts[0]["id"]) if broadcasts else None

    broadcast_id: str = await stack.wait_for(planned)
    return broadcast_id


async def test_pause_stops_sending_and_resume_finishes_the_job(settings, redis_url):
    config = SimulatorConfig(pair_interval_s=0, messages_per_second=0)
    async with running_stack(
        settings,
        redis_url,
        config,
        sample_customers(900),
        messages_per_second=40.0,
        rate_safety=1.0,
    ) as stack:
        sim = stack.sim.simulator
        stack.start_worker()
        incident = await stack.call(
            "POST", "/api/v1/incidents", {"title": "Outage", "segments": ["fiber"]}
        )
        broadcast = await notice_id(stack, incident["id"])
        await stack.wait_for(lambda: len(sim.accepted) >= 40)
        paused = await stack.call("POST", f"/api/v1/broadcasts/{broadcast}/pause")
        assert paused["status"] == "paused"
        await asyncio.sleep(1.0)  # what was already claimed finishes
        frozen = len(sim.accepted)
        await asyncio.sleep(1.5)
        assert len(sim.accepted) == frozen, "a paused broadcast sends nothing"
        assert frozen < paused["recipients"]

        resumed = await stack.call("POST", f"/api/v1/broadcasts/{broadcast}/resume")
        assert resumed["status"] == "running"

        async def done():
            view = await stack.call("GET", f"/api/v1/broadcasts/{broadcast}")
            return view if view["status"] == "done" else None

        view = await stack.wait_for(done, limit=120)
        assert view["progress"]["sent"] == view["recipients"]
        assert len(sim.accepted) == len({m.to for m in sim.accepted}) == view["recipients"]


async def test_cancel_skips_everyone_not_yet_sent(settings, redis_url):
    config = SimulatorConfig(pair_interval_s=0, messages_per_second=0)
    async with running_stack(
        settings,
        redis_url,
        config,
        sample_customers(900),
        messages_per_second=30.0,
        rate_safety=1.0,
    ) as stack:
        sim = stack.sim.simulator
        stack.start_worker()
        incident = await stack.call(
            "POST", "/api/v1/incidents", {"title": "Outage", "segments": ["fiber"]}
        )
        broadcast = await notice_id(stack, incident["id"])
        await stack.wait_for(lambda: len(sim.accepted) >= 20)
        await stack.call("POST", f"/api/v1/broadcasts/{broadcast}/cancel")

        async def settled():
            view = await stack.call("GET", f"/api/v1/broadcasts/{broadcast}")
            return view if view["progress"]["queued"] == 0 else None

        view = await stack.wait_for(settled, limit=60)
        assert view["status"] == "cancelled"
        assert view["progress"]["skipped"] > 0
        assert view["progress"]["sent"] + view["progress"]["skipped"] == view["recipients"]
        assert len(sim.accepted) == view["progress"]["sent"]
        again = await stack.session.post(f"{stack.api_url}/api/v1/broadcasts/{broadcast}/resume")
        assert again.status == 409


async def test_the_messaging_limit_serves_the_highest_tiers_and_holds_the_rest(settings, redis_url):
    customers = sample_customers(600)
    config = SimulatorConfig(pair_interval_s=0, messages_per_second=0)
    async with running_stack(
        settings, redis_url, config, customers, messaging_limit=150, messages_per_second=500.0
    ) as stack:
        sim = stack.sim.simulator
        stack.start_worker()
        incident = await stack.call(
            "POST", "/api/v1/incidents", {"title": "Outage", "segments": ["fiber"]}
        )
        broadcast = await notice_id(stack, incident["id"])

        async def budget_used():
            view = await stack.call("GET", f"/api/v1/broadcasts/{broadcast}")
            return (
                view
                if view["progress"]["sent"] == 150
                and view["progress"]["queued"] == view["recipients"] - 150
                else None
            )

        view = await stack.wait_for(budget_used, limit=60)
        metrics = await (await stack.session.get(stack.api_url + "/metrics")).text()
    tier = {c.wa_id: c.tier for c in customers}
    sent_tiers = [tier[m.to] for m in sim.accepted]
    waiting = [
        c.tier
        for c in customers
        if c.opt_in
        and c.attributes["service"] == "fiber"
        and c.wa_id not in {m.to for m in sim.accepted}
    ]
    assert len(sent_tiers) == 150
    assert max(TIERS.index(t) for t in sent_tiers) <= min(TIERS.index(t) for t in waiting), (
        "higher tiers first"
    )
    assert view["status"] == "running"
    assert "broadcaster_messaging_limit_remaining 0.0" in metrics
    assert f"broadcaster_messages_waiting_budget {float(view['recipients'] - 150)}" in metrics
