"""The issue's scenario, end to end: 10,000 affected customers, a 10 % holdout, simulated
customers who write in at 2 % when notified and 10 % when not. The report's estimate of
deflected contacts must bracket the true value, (10 % - 2 %) x notified, within its 95 %
interval. Seeded, so the same customers write in on every run."""

from __future__ import annotations

import random
import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import pytest

from broadcaster.domain.timefmt import format_rfc3339
from broadcaster.simulator import SimulatorConfig
from tests.e2e.harness import running_stack
from tests.e2e.inbound_support import customer, declare, notice_done

AFFECTED = 10_000
RATE_NOTIFIED, RATE_HOLDOUT = 0.02, 0.10
SEED = 20261124


@pytest.mark.slow
async def test_the_deflection_estimate_brackets_the_true_value(settings, redis_url):
    customers = [customer(i, "en" if i % 5 == 0 else "id") for i in range(AFFECTED)]
    fast = SimulatorConfig(
        messages_per_second=0, pair_interval_s=0, status_delay_s=(0.0, 0.01), read_ratio=0
    )
    async with running_stack(
        settings, redis_url, fast, customers, messages_per_second=5000.0
    ) as stack:
        stack.start_worker()
        incident = await declare(stack, holdout_percent=10)
        report = await stack.wait_for(lambda: notice_done(stack, incident["id"]), limit=240)
        assert report["audience"]["notified"] + report["audience"]["holdout"] == AFFECTED

        (notice,) = [b for b in report["broadcasts"] if b["kind"] == "notice"]
        audience = await stack.deps.deliveries.audience(notice["id"])
        rng = random.Random(SEED)
        writers = [o for o in audience.notified if rng.random() < RATE_NOTIFIED]
        writers += [o for o in audience.held if rng.random() < RATE_HOLDOUT]
        records = await stack.deps.directory.get_many(writers)
        by_phone = [c for c in records if c is not None]
        chatting, calling = by_phone[0::3] + by_phone[1::3], by_phone[2::3]
        sim = stack.sim.simulator
        for c in chatting:
            await sim.inject_inbound(c.wa_id, text="Internet mati?")
        now = format_rfc3339(datetime.now(UTC))
        calls = [{"channel": "voice", "customer_id": c.customer_id, "time": now} for c in calling]
        await stack.call("POST", "/api/v1/contacts", {"contacts": calls})
        await stack.wait_for(
            lambda: sum(1 for m in sim.accepted if m.text) == len(chatting), limit=120
        )

        report = await stack.report(incident["id"])
        deflection = report["deflection"]
        notified, held = len(audience.notified), len(audience.held)
        truth = (RATE_HOLDOUT - RATE_NOTIFIED) * notified
        estimate = deflection["deflected"]
        low, high = estimate["ci"]
        print(
            f"notified {notified}, holdout {held}; writers {deflection['notified']['contacting']}"
            f" + {deflection['holdout']['contacting']}; true deflection {truth:.1f},"
            f" estimated {estimate['estimate']} (95% CI {low} to {high})"
        )
        assert deflection["method"] == "holdout"
        assert deflection["notified"]["customers"] == notified
        assert deflection["holdout"]["customers"] == held
        assert deflection["notified"]["contacting"] + deflection["holdout"]["contacting"] == len(
            writers
        )
        assert low <= truth <= high
        assert deflection["answered_automatically"] == len(chatting)
        assert deflection["contacts"]["by_channel"] == {
            "voice": len(calling),
            "whatsapp": len(chatting),
        }

        chart = await stack.session.get(
            f"{stack.api_url}/api/v1/incidents/{incident['id']}/report.svg"
        )
        root = ET.fromstring(await chart.text())
        ids = {e.get("id") for e in root.iter("{http://www.w3.org/2000/svg}polyline")}
        assert ids == {"series-notified", "series-holdout", "series-delivered"}
