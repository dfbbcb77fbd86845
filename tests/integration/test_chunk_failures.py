"""A chunk job that fails part-way still records the outcomes of the requests that left."""

from __future__ import annotations

from typing import Any

import pytest

from broadcaster.adapters.audience import pack
from broadcaster.adapters.broadcast_store import Broadcast, BroadcastStatus
from broadcaster.adapters.whatsapp import Accepted
from broadcaster.demo_data import sample_customers
from broadcaster.domain.incidents import Actor, Declaration, Severity
from broadcaster.domain.templates import Kind
from broadcaster.services.sending import ChunkSender


class OneFailingCloud:
    """Accepts every message but one, for which it fails in a way nobody expected."""

    def __init__(self, failing: str) -> None:
        self.failing = failing
        self.accepted: list[str] = []

    async def send(self, phone_number_id: str, payload: dict[str, Any]) -> Accepted:
        if payload["to"] == self.failing:
            raise RuntimeError("unexpected")
        self.accepted.append(payload["to"])
        return Accepted(f"wamid.{payload['to']}", payload["to"], "accepted")


async def test_an_unexpected_send_failure_loses_no_other_outcome(deps, redis_client):
    customers = [c for c in sample_customers(30) if c.opt_in]
    await deps.directory.upsert(customers)
    ordinals = [await deps.directory.ordinal(c.customer_id) or 0 for c in customers]
    incident = await deps.incidents.declare(
        Declaration("Fibre down", Severity.MAJOR, ("fiber",)), Actor("test", "test")
    )
    total = len(ordinals)
    broadcast = Broadcast(
        "B-fail", incident.id, Kind.NOTICE, BroadcastStatus.RUNNING, total, total, "now"
    )
    assert await deps.broadcasts.create(broadcast)
    await redis_client.set(deps.keys.recipients(broadcast.id), pack(ordinals))
    cloud = OneFailingCloud(customers[5].wa_id)
    deps.sending.cloud = cloud

    with pytest.raises(RuntimeError, match="unexpected"):
        await ChunkSender(deps.sending, broadcast, 0).run(soft_deadline=60)

    assert len(cloud.accepted) == total - 1, "the other requests all went out"
    counts = await deps.broadcasts.counts(broadcast.id)
    assert counts == {"accepted": total - 1, "sending": 1}, "only the failed one is unresolved"
