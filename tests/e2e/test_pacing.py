"""Four worker processes share one number's 80 messages per second, exactly.

Measured where it matters: at the simulator, in a process of its own, which plays Meta and
counts what arrives in every sliding one-second window. The workers pace at the shipped
``rate_safety``, whose margin is the jitter a real deployment must absorb (decision 45).
"""

from __future__ import annotations

import dataclasses

import pytest

from broadcaster.bootstrap import build_deps
from broadcaster.demo_data import sample_customers
from broadcaster.domain.incidents import Actor, Declaration, Severity
from broadcaster.local_stack import wait_until
from broadcaster.simulator.limits import max_in_window
from broadcaster.typed_config import Secret
from tests.e2e.sim_process import NUMBER, TOKEN, simulator_process
from tests.e2e.workers import worker_processes

RATE = 80


@pytest.mark.slow
async def test_four_workers_never_exceed_the_number_rate_and_use_it_fully(
    settings, redis_url, tmp_path
):
    with simulator_process(tmp_path, messages_per_second=RATE) as sim:
        wa = dataclasses.replace(
            settings.whatsapp,
            api_base_url=sim.url,
            access_token=Secret(TOKEN),
            phone_number_ids=[NUMBER],
            messages_per_second=float(RATE),
        )
        settings = dataclasses.replace(settings, whatsapp=wa)
        async with build_deps(settings, redis_url) as deps:
            await deps.directory.upsert(sample_customers(1800))
            # the simulator plays Meta, whose servers our workers do not share a CPU with
            with worker_processes(settings, tmp_path, count=4, nice=5):
                incident = await deps.incidents.declare(
                    Declaration("Fibre down", Severity.MAJOR, ("fiber",)), Actor("test", "test")
                )

                async def done() -> bool:
                    broadcasts = await deps.broadcasts.for_incident(incident.id)
                    return bool(broadcasts) and broadcasts[0].status.value == "done"

                await wait_until(done, limit=240, every=0.5)
                notice = (await deps.broadcasts.for_incident(incident.id))[0]
        report = sim.report(messages=True)
    stamps = sorted(m["accepted_at"] for m in report["messages"])
    recipients = {m["to"] for m in report["messages"]}
    average = (len(stamps) - 1) / (stamps[-1] - stamps[0])
    throttled = report["errors"].get("130429", 0)
    print(
        f"pacing: {len(stamps)} messages, max {max_in_window(stamps, 1.0)} in any 1 s, "
        f"average {average:.1f}/s (paced at {RATE * wa.rate_safety:g}), 130429 answers {throttled}"
    )
    assert len(stamps) == notice.total == len(recipients), "everyone once"
    assert max_in_window(stamps, 1.0) <= RATE
    assert throttled == 0, "the simulator never had to refuse a message for throughput"
    assert average >= 0.95 * RATE * wa.rate_safety, "the pacer keeps the rate it paces at"
