"""The server's ops endpoints: /metrics recomputes shared state from Redis at every scrape;
/healthz and /readyz tell a dead process from one that cannot reach Redis."""

from __future__ import annotations

import contextlib
import dataclasses
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from broadcaster import __version__
from broadcaster.adapters.broadcast_store import Broadcast, BroadcastStatus
from broadcaster.bootstrap import build_deps
from broadcaster.domain.templates import Kind
from broadcaster.embedded_redis import embedded_redis
from broadcaster.web.app import create_app
from tests.conftest import BOOTSTRAP_TOKEN


async def scrape(client: Any) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = await client.get("/metrics")
    assert response.status == 200
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(await response.text())
        for s in family.samples
    }


def broadcast(incident_id: str, name: str, status: BroadcastStatus, reason: str = "") -> Broadcast:
    return Broadcast(
        id=f"{incident_id}-{name}",
        incident_id=incident_id,
        kind=Kind.NOTICE if name != "update" else Kind.UPDATE,
        status=status,
        total=10,
        chunk_size=5,
        created_at="2025-01-01T00:00:00Z",
        reason=reason,
    )


async def test_scrapes_report_incidents_broadcasts_holds_and_budget_as_redis_has_them(
    settings, redis_url, aiohttp_client
):
    limited = dataclasses.replace(
        settings, whatsapp=dataclasses.replace(settings.whatsapp, messaging_limit=1000)
    )
    async with build_deps(limited, redis_url) as deps:
        client = await aiohttp_client(create_app(deps))
        client.session.headers["Authorization"] = f"Bearer {BOOTSTRAP_TOKEN}"
        declared = await client.post(
            "/api/v1/incidents", json={"title": "Fibre cut", "segments": ["fiber"]}
        )
        incident = (await declared.json())["id"]
        store = deps.broadcasts
        await store.create(broadcast(incident, "notice", BroadcastStatus.RUNNING))
        await store.create(broadcast(incident, "update", BroadcastStatus.RUNNING))
        await store.create(
            broadcast(incident, "t", BroadcastStatus.PAUSED, "template_paused (132015)")
        )
        await store.create(broadcast(incident, "c", BroadcastStatus.PAUSED, "commander"))
        await store.create(broadcast(incident, "d", BroadcastStatus.DONE))
        now_ms = deps.clock().timestamp() * 1000
        await deps.redis.zadd(deps.keys.budget(), {"a": now_ms, "b": now_ms, "old": 0})

        first = await scrape(client)
        assert first[("broadcaster_incidents", (("state", "investigating"),))] == 1
        assert first[("broadcaster_broadcasts", (("status", "running"),))] == 2
        assert first[("broadcaster_broadcasts", (("status", "paused"),))] == 2
        assert first[("broadcaster_broadcasts", (("status", "done"),))] == 1
        paused = "broadcaster_broadcasts_paused"
        assert first[(paused, (("reason", "template_paused"),))] == 1
        assert first[(paused, (("reason", "commander"),))] == 1
        assert first[(paused, (("reason", "other"),))] == 0
        # progress counts running broadcasts only: a paused one is not "waiting to be sent"
        recipients = "broadcaster_broadcast_recipients"
        assert first[(recipients, (("kind", "notice"), ("state", "pending")))] == 10
        assert first[(recipients, (("kind", "update"), ("state", "pending")))] == 10
        assert first[("broadcaster_messaging_limit", ())] == 1000
        assert first[("broadcaster_messaging_limit_remaining", ())] == 998
        assert first[("broadcaster_queue_depth", ())] >= 1, "the declaration queued its plan"
        assert first[("broadcaster_sender_paused", (("reason", "token"),))] == 0
        assert first[("broadcaster_redis_up", ())] == 1

        # another process sets a hold and finishes a broadcast: the next scrape shows it
        await deps.holds.set("token", 190, "2025-01-01T00:00:00Z")
        await store.set_status(f"{incident}-update", BroadcastStatus.DONE)
        second = await scrape(client)
        assert second[("broadcaster_sender_paused", (("reason", "token"),))] == 1
        assert second[("broadcaster_broadcasts", (("status", "running"),))] == 1
        assert (recipients, (("kind", "update"), ("state", "pending"))) not in second
        await deps.holds.clear()
        third = await scrape(client)
        assert third[("broadcaster_sender_paused", (("reason", "token"),))] == 0


async def test_without_redis_the_server_is_alive_not_ready_and_its_metrics_say_why(
    settings, aiohttp_client
):
    commit = dataclasses.replace(settings, app=dataclasses.replace(settings.app, commit="abc123"))
    with contextlib.ExitStack() as stack:
        url = stack.enter_context(embedded_redis())
        async with build_deps(commit, url) as deps:
            client = await aiohttp_client(create_app(deps))
            assert (await scrape(client))[("broadcaster_redis_up", ())] == 1
            ready = await client.get("/readyz")
            assert (ready.status, await ready.json()) == (200, {"status": "ready", "redis": "ok"})

            stack.close()  # the Redis goes away
            metrics = await scrape(client)
            assert metrics[("broadcaster_redis_up", ())] == 0
            build = (("commit", "abc123"), ("version", __version__))
            assert metrics[("broadcaster_build_info", build)] == 1
            ready = await client.get("/readyz")
            assert ready.status == 503
            assert (await ready.json())["status"] == "unavailable"
            alive = await client.get("/healthz")
            assert alive.status == 200, "liveness does not depend on Redis"
            assert await alive.json() == {
                "status": "ok",
                "version": __version__,
                "commit": "abc123",
            }
