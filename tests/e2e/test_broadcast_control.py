"""Commanders steer broadcasts: pause, resume, cancel; the messaging limit holds the rest."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import AsyncIterator
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from broadcaster.simulator import SimulatorConfig
from tests.e2e.harness import LocalStack, running_stack, sample_customers

TIERS = ["platinum", "gold", "silver", "standard"]


async def declare_outage(stack: LocalStack) -> str:
    """Declares a fiber outage; the id of its notice broadcast, once planned."""
    body = {"title": "Outage", "segments": ["fiber"]}
    incident = await stack.call("POST", "/api/v1/incidents", body)

    async def planned() -> str | None:
        broadcasts = (await stack.report(incident["id"]))["broadcasts"]
        return str(broadcasts[0]["id"]) if broadcasts else None

    broadcast_id: str = await stack.wait_for(planned)
    return broadcast_id


async def reaching(
    stack: LocalStack, broadcast: str, status: str, limit: float = 60
) -> dict[str, Any]:
    """The broadcast's view once its status is ``status``."""

    async def reached() -> dict[str, Any] | None:
        view: dict[str, Any] = await stack.call("GET", f"/api/v1/broadcasts/{broadcast}")
        return view if view["status"] == status else None

    found: dict[str, Any] = await stack.wait_for(reached, limit)
    return found


@contextlib.asynccontextmanager
async def notice_under_way(
    settings: Any, redis_url: str, per_second: float, sent: int
) -> AsyncIterator[tuple[LocalStack, str]]:
    """A notice to 900 customers paced at ``per_second``, once ``sent`` of them have it."""
    config = SimulatorConfig(pair_interval_s=0, messages_per_second=0)
    async with running_stack(
        settings,
        redis_url,
        config,
        sample_customers(900),
        messages_per_second=per_second,
        rate_safety=1.0,
    ) as stack:
        stack.start_worker()
        broadcast = await declare_outage(stack)
        await stack.wait_for(lambda: len(stack.sim.simulator.accepted) >= sent)
        yield stack, broadcast


async def test_pause_stops_sending_and_resume_finishes_the_job(settings, redis_url):
    async with notice_under_way(settings, redis_url, 40.0, sent=40) as (stack, broadcast):
        sim = stack.sim.simulator
        paused = await stack.call("POST", f"/api/v1/broadcasts/{broadcast}/pause")
        assert paused["status"] == "paused"
        await asyncio.sleep(1.0)  # what was already claimed finishes
        frozen = len(sim.accepted)
        await asyncio.sleep(1.5)
        assert len(sim.accepted) == frozen, "a paused broadcast sends nothing"
        assert frozen < paused["recipients"]

        resumed = await stack.call("POST", f"/api/v1/broadcasts/{broadcast}/resume")
        assert resumed["status"] == "running"

        view = await reaching(stack, broadcast, "done", limit=120)
        assert view["progress"]["sent"] == view["recipients"]
        assert len(sim.accepted) == len({m.to for m in sim.accepted}) == view["recipients"]


async def test_cancel_skips_everyone_not_yet_sent(settings, redis_url):
    async with notice_under_way(settings, redis_url, 30.0, sent=20) as (stack, broadcast):
        sim = stack.sim.simulator
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
        broadcast = await declare_outage(stack)

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


async def template_gauges(stack: LocalStack) -> dict[tuple[str, str], float]:
    async with stack.session.get(stack.api_url + "/metrics") as response:
        text = await response.text()
    return {
        (s.labels["kind"], s.labels["language"]): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == "broadcaster_template_paused"
    }


async def test_a_template_meta_pauses_pauses_its_broadcast_until_a_commander_resumes(
    settings, redis_url
):
    config = SimulatorConfig(pair_interval_s=0, messages_per_second=0)
    async with running_stack(
        settings, redis_url, config, sample_customers(120), messages_per_second=200.0
    ) as stack:
        sim = stack.sim.simulator
        stack.start_worker()
        # Meta pauses the Indonesian notice (quality): its webhook reaches us first
        assert await sim.set_template_status("outage_notice", "id", "PAUSED", "LOW_QUALITY")
        assert (await template_gauges(stack))[("notice", "id")] == 1
        assert (await template_gauges(stack))[("notice", "en")] == 0

        broadcast = await declare_outage(stack)

        view = await reaching(stack, broadcast, "paused")
        assert view["reason"] == "template_paused (132015)"
        # Meta reinstates it: the gauge clears, the commander resumes, everyone is told once
        assert await sim.set_template_status("outage_notice", "id", "REINSTATED")
        assert (await template_gauges(stack))[("notice", "id")] == 0
        await stack.call("POST", f"/api/v1/broadcasts/{broadcast}/resume")

        finished = await reaching(stack, broadcast, "done")
        assert finished["progress"]["sent"] == finished["recipients"]
        assert len(sim.accepted) == len({m.to for m in sim.accepted}) == finished["recipients"]


async def test_a_refusal_seen_only_on_send_is_recorded_and_cleared_by_resume(settings, redis_url):
    config = SimulatorConfig(pair_interval_s=0, messages_per_second=0)
    async with running_stack(
        settings, redis_url, config, sample_customers(120), messages_per_second=200.0
    ) as stack:
        sim = stack.sim.simulator
        approved = sim.config.templates
        # disabled without a webhook (not subscribed): only our sends find out
        sim.config.templates = tuple(
            dataclasses.replace(t, status="DISABLED") if t.name == "outage_notice" else t
            for t in approved
        )
        stack.start_worker()
        broadcast = await declare_outage(stack)

        assert (await reaching(stack, broadcast, "paused"))[
            "reason"
        ] == "template_disabled (132016)"
        gauges = await template_gauges(stack)
        assert 1 in {gauges[("notice", "id")], gauges[("notice", "en")]}
        assert gauges[("update", "id")] == 0

        sim.config.templates = approved  # a new approved template: the commander resumes
        await stack.call("POST", f"/api/v1/broadcasts/{broadcast}/resume")
        gauges = await template_gauges(stack)
        assert gauges[("notice", "id")] == gauges[("notice", "en")] == 0
