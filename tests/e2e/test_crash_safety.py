"""Kill the worker three times mid-broadcast: nobody is missed, duplicates stay in bounds.

20,000 recipients, the simulator (its own process) drops 1% of answers after accepting the
message, the only worker is SIGKILLed at three seeded random moments and restarted at once.
The simulator's ledger is the truth: every eligible recipient must have received the notice,
and messages received twice must be few enough to be explained by the requests in flight at
each kill.
"""

from __future__ import annotations

import asyncio
import dataclasses
import random
from collections import Counter
from datetime import timedelta
from functools import partial

import pytest

from broadcaster.adapters.broadcast_store import Broadcast
from broadcaster.bootstrap import Deps, build_deps
from broadcaster.demo_data import sample_customers
from broadcaster.domain.customers import Customer
from broadcaster.domain.incidents import Actor, Declaration, Severity
from broadcaster.local_stack import wait_until
from broadcaster.services.sending import CLAIM_BATCH
from broadcaster.simulator.remote import RemoteSimulator
from broadcaster.typed_config import Secret
from tests.conftest import APP_SECRET
from tests.e2e.server import serving
from tests.e2e.sim_process import NUMBER, TOKEN, simulator_process
from tests.e2e.workers import worker_processes

KILLS = 3


@pytest.mark.slow
async def test_sigkilled_worker_loses_nobody_and_duplicates_stay_bounded(
    settings, redis_url, tmp_path
):
    rng = random.Random(2026)
    base = dataclasses.replace(
        settings,
        whatsapp=dataclasses.replace(
            settings.whatsapp,
            access_token=Secret(TOKEN),
            app_secret=Secret(APP_SECRET),
            phone_number_ids=[NUMBER],
            messages_per_second=1500.0,
            rate_safety=1.0,
            request_timeout=timedelta(seconds=2),
            reconcile_after=timedelta(seconds=4),
        ),
        worker=dataclasses.replace(
            settings.worker, job_timeout=timedelta(seconds=8), soft_deadline=timedelta(seconds=4)
        ),
    )
    async with build_deps(base, redis_url) as deps, serving(deps) as server_url:
        with simulator_process(
            tmp_path,
            messages_per_second=0,
            webhook_url=f"{server_url}/webhooks/whatsapp",
            app_secret=APP_SECRET,
        ) as sim:
            sim.set_faults(drop_ratio=0.01)
            config = dataclasses.replace(
                base, whatsapp=dataclasses.replace(base.whatsapp, api_base_url=sim.url)
            )
            await deps.directory.upsert(sample_customers(21_053))
            with worker_processes(config, tmp_path, count=1) as workers:
                incident = await deps.incidents.declare(
                    Declaration("Total outage", Severity.CRITICAL, ("fiber", "mobile-data")),
                    Actor("test", "test"),
                )
                notice = await wait_until(lambda: first_notice(deps, incident.id), limit=60)
                for kill in range(KILLS):
                    threshold = notice.total * (kill + 1) / (KILLS + 1)
                    await wait_until(partial(accepted_at_least, sim, threshold), 240, 0.05)
                    await asyncio.sleep(rng.uniform(0, 0.3))
                    workers.kill(0)
                    workers.restart(0)

                async def finished():
                    tally = await deps.broadcasts.tally(notice.id)
                    return tally.queued == 0

                await wait_until(finished, limit=300, every=0.5)
            await asyncio.sleep(1)  # the last status webhooks
            report = sim.report(messages=True)
            tally = await deps.broadcasts.tally(notice.id)

    expected = {c.wa_id for c in await_customers(notice.total)}
    received = Counter(m["to"] for m in report["messages"])
    missing = expected - set(received)
    duplicates = sum(n - 1 for n in received.values())
    # at a kill, claimed-but-unresolved sends are at most the requests in flight plus one
    # claimed batch per running chunk; only those can be sent twice
    window = base.whatsapp.max_in_flight + base.broadcast.parallel_chunks * CLAIM_BATCH
    in_flight_bound = KILLS * window
    print(
        f"crash safety: {notice.total} recipients, {KILLS} kills, missing {len(missing)}, "
        f"duplicates {duplicates} (bound {in_flight_bound}), "
        f"dropped answers {report['responses_dropped']}"
    )
    attempts = Counter(m["biz_opaque_callback_data"].rsplit("|", 1)[1] for m in report["messages"])
    print(f"accepted messages by attempt: {sorted(attempts.items())}")
    assert not missing, "every eligible recipient got the notice"
    assert set(received) <= expected, "nobody outside the audience"
    assert duplicates <= in_flight_bound
    assert tally.failed == 0
    assert tally.sent == notice.total


async def first_notice(deps: Deps, incident_id: str) -> Broadcast | None:
    broadcasts = await deps.broadcasts.for_incident(incident_id)
    return broadcasts[0] if broadcasts else None


def accepted_at_least(sim: RemoteSimulator, count: float) -> bool:
    return bool(sim.report()["accepted"] >= count)


def await_customers(total: int) -> list[Customer]:
    customers = [c for c in sample_customers(21_053) if c.opt_in]
    assert len(customers) == total
    return customers
