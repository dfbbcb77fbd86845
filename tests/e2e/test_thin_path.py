"""One outage end to end: declare -> audience -> template per language -> simulator ->
signed status webhooks -> delivery counts in the report and in /metrics."""

from __future__ import annotations

from tests.e2e.harness import running_stack, sample_customers


async def test_a_declared_outage_reaches_every_eligible_customer_once(settings, redis_url):
    customers = sample_customers(300)
    async with running_stack(settings, redis_url, customers=customers) as stack:
        stack.start_worker()
        incident = await stack.call(
            "POST",
            "/api/v1/incidents",
            {"title": "Gangguan fiber", "segments": ["fiber"], "labels": {"region": "jkt-selatan"}},
        )

        async def settled():
            report = await stack.report(incident["id"])
            notices = [b for b in report["broadcasts"] if b["kind"] == "notice"]
            if not notices or notices[0]["status"] != "done":
                return None
            progress = notices[0]["progress"]
            finished = progress["delivered"] + progress["failed"] == notices[0]["recipients"]
            return report if finished else None

        report = await stack.wait_for(settled)
        expected = {
            c.phone.removeprefix("+")
            for c in customers
            if c.opt_in and c.attributes == {"region": "jkt-selatan", "service": "fiber"}
        }
        sim = stack.sim.simulator
        received = [m.to for m in sim.accepted]
        assert sorted(received) == sorted(expected), "everyone eligible, nobody else, once"
        assert report["audience"]["notified"] == len(expected)
        assert report["messages"]["notice"]["delivered"] == len(expected)

        languages = {m.to: m.template_language for m in sim.accepted}
        english = {c.phone.removeprefix("+") for c in customers if c.language == "en"}
        assert all((languages[to] == "en") == (to in english) for to in languages)

        tier_of = {c.phone.removeprefix("+"): c.tier for c in customers}
        tiers = [tier_of[to] for to in received]
        order = ["platinum", "gold", "silver", "standard"]
        assert tiers == sorted(tiers, key=order.index), "higher tiers are messaged first"

        # Indonesian numbers, utility template: $0.025 each, charged once delivered
        assert report["cost"]["estimated"] == round(len(expected) * 0.025, 4)
        assert report["cost"]["actual"] == round(
            report["messages"]["notice"]["delivered"] * 0.025, 4
        )
        notice = report["broadcasts"][0]
        assert notice["estimate"]["seconds"] > 0
        assert notice["cost"]["sent_estimate"] == report["cost"]["estimated"]

        metrics = await (await stack.session.get(stack.api_url + "/metrics")).text()
        assert 'broadcaster_messages_total{kind="notice",status="delivered"}' in metrics
