"""From signals to incidents against a real Redis, on a clock the test moves.

fire_for 2m, resolve_after 5m, reopen_cooldown 30m (tests/intake/conftest.py). Signals come
in through the real webhook routes; the worker's evaluation is called directly.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

from broadcaster.domain.hysteresis import Wait
from broadcaster.domain.incidents import Incident, Status
from broadcaster.domain.timefmt import format_rfc3339
from broadcaster.metrics import REGISTRY
from tests.conftest import PAYLOADS
from tests.intake.conftest import AM_TOKEN, COMMANDER_TOKEN, PD_SECRET, FakeClock, post

AM = {"Authorization": f"Bearer {AM_TOKEN}"}
COMMANDER = {"Authorization": f"Bearer {COMMANDER_TOKEN}"}
FIBRE = {"alertname": "FibreDown", "service": "fiber", "region": "jkt-selatan"}


def alert_body(
    fingerprint: str,
    starts: datetime,
    labels: dict[str, str] | None = None,
    ends: datetime | None = None,
) -> dict[str, Any]:
    return {
        "version": "4",
        "receiver": "broadcaster",
        "status": "resolved" if ends else "firing",
        "groupKey": '{}:{alertname="FibreDown"}',
        "truncatedAlerts": 0,
        "alerts": [
            {
                "status": "resolved" if ends else "firing",
                "labels": {**FIBRE, "severity": "critical", **(labels or {})},
                "annotations": {"customer_impact": "No internet on fibre"},
                "startsAt": format_rfc3339(starts),
                "endsAt": format_rfc3339(ends) if ends else "0001-01-01T00:00:00Z",
                "fingerprint": fingerprint,
            }
        ],
    }


async def send(api: Any, body: dict[str, Any]) -> None:
    response = await post(api, "/webhooks/alertmanager", body, AM)
    assert response.status in (200, 202), await response.text()


async def evaluate(intake: Any) -> None:
    await intake.evaluate_due()


async def fire(hooks: Any, intake: Any, clock: FakeClock, **labels: str) -> datetime:
    """An alert that fires (now) for fire_for, evaluated; returns its start."""
    start = clock()
    await send(hooks, alert_body("fp1", start, labels))
    clock.advance(minutes=2)
    await evaluate(intake)
    return start


async def end(hooks: Any, intake: Any, clock: FakeClock, start: datetime) -> None:
    """The alert that started at ``start`` ends now and stays resolved for resolve_after."""
    await send(hooks, alert_body("fp1", start, ends=clock()))
    clock.advance(minutes=5)
    await evaluate(intake)


async def incidents(deps: Any) -> list[Incident]:
    found: list[Incident] = await deps.incident_store.newest()
    return found


async def planned(redis: Any) -> list[list[Any]]:
    """The broadcasts lifecycle changes asked for (outbox relayed into arq job ids)."""
    ids = [j.decode() for j in await redis.zrange("ob:queue", 0, -1)]
    return sorted(i.split(":")[3:] for i in ids if i.startswith("ob:plan:"))


def lead_time_count() -> float:
    return REGISTRY.get_sample_value("broadcaster_signal_to_declared_seconds_count") or 0.0


async def test_a_critical_alert_declares_only_after_firing_for_fire_for(
    hooks, intake, deps, clock, redis_client
):
    started = clock()
    observed = lead_time_count()
    await send(hooks, alert_body("fp1", started))
    await evaluate(intake)
    assert await incidents(deps) == []
    clock.advance(minutes=1, seconds=59)
    await evaluate(intake)
    assert await incidents(deps) == []
    clock.advance(seconds=1)
    await evaluate(intake)
    (incident,) = await incidents(deps)
    assert incident.status is Status.INVESTIGATING
    assert incident.source == "alertmanager"
    assert incident.title == "No internet on fibre"
    assert incident.segments == ("fiber",)
    assert incident.labels["region"] == "jkt-selatan"
    assert incident.started_at == started
    assert await planned(redis_client) == [["notice", "r1"]]
    assert lead_time_count() == observed + 1
    audit = await deps.incident_store.audit(incident.id)
    assert (audit[0]["actor"], audit[0]["source"]) == ("intake", "alertmanager")


async def test_a_flapping_probe_never_declares(hooks, intake, deps, clock):
    for _ in range(5):
        start = clock()
        await send(hooks, alert_body("fp1", start))
        clock.advance(seconds=50)
        await send(hooks, alert_body("fp1", start, ends=clock()))
        await evaluate(intake)
        clock.advance(seconds=20)
    clock.advance(minutes=10)
    await evaluate(intake)
    assert await incidents(deps) == []
    assert await intake.store.tracked() == []  # idle groups are forgotten


async def test_re_sent_alerts_never_declare_twice(hooks, intake, deps, clock):
    body = alert_body("fp1", clock())
    clock.advance(minutes=3)
    for _ in range(3):
        await send(hooks, body)
    group_hash = (await intake.store.tracked())[0]
    await asyncio.gather(*(intake.evaluate(group_hash) for _ in range(4)))
    await evaluate(intake)
    assert len(await incidents(deps)) == 1


async def test_a_warning_opens_a_pending_incident_that_sends_nothing_until_confirmed(
    hooks, intake, deps, clock, redis_client
):
    await fire(hooks, intake, clock, severity="warning")
    (incident,) = await incidents(deps)
    assert incident.status is Status.PENDING
    assert incident.severity.value == "minor"
    assert await planned(redis_client) == []
    observed = lead_time_count()
    confirmed = await hooks.post(
        f"/api/v1/incidents/{incident.id}/confirm",
        json={},
        headers=COMMANDER,
    )
    assert confirmed.status == 200, await confirmed.text()
    assert (await confirmed.json())["status"] == "investigating"
    assert await planned(redis_client) == [["notice", "r2"]]
    assert lead_time_count() == observed + 1


async def test_an_alert_no_segment_covers_waits_for_a_commander_to_scope_it(
    hooks, intake, deps, clock
):
    await fire(hooks, intake, clock, service="billing")
    (incident,) = await incidents(deps)
    assert incident.status is Status.PENDING
    assert incident.segments == ()
    headers = COMMANDER
    refused = await hooks.post(f"/api/v1/incidents/{incident.id}/confirm", json={}, headers=headers)
    assert refused.status == 409
    assert "names no segment" in (await refused.json())["error"]["message"]
    scoped = await hooks.post(
        f"/api/v1/incidents/{incident.id}/updates",
        json={"segments": ["fiber"], "status": "investigating"},
        headers=headers,
    )
    assert (await scoped.json())["status"] == "investigating"


async def test_an_incident_resolves_once_its_alerts_stayed_resolved(
    hooks, intake, deps, clock, redis_client
):
    start = await fire(hooks, intake, clock)
    clock.advance(minutes=10)
    await send(hooks, alert_body("fp1", start, ends=clock()))
    await evaluate(intake)
    clock.advance(minutes=4)
    await send(hooks, alert_body("fp1", clock()))  # fires again before resolve_after
    await evaluate(intake)
    clock.advance(minutes=4)
    await send(hooks, alert_body("fp1", clock() - timedelta(minutes=4), ends=clock()))
    ended = clock()
    await evaluate(intake)
    (incident,) = await incidents(deps)
    assert incident.status is Status.INVESTIGATING
    clock.advance(minutes=5)
    await evaluate(intake)
    (incident,) = await incidents(deps)
    assert incident.status is Status.RESOLVED
    assert incident.resolved_at == ended


async def test_a_refire_within_the_cooldown_reopens_and_after_it_declares_anew(
    hooks, intake, deps, clock
):
    start = await fire(hooks, intake, clock)
    await end(hooks, intake, clock, start)
    (first,) = await incidents(deps)
    assert first.status is Status.RESOLVED
    clock.advance(minutes=10)
    refire = await fire(hooks, intake, clock)
    (again,) = await incidents(deps)
    assert again.id == first.id
    assert again.status is Status.INVESTIGATING
    actions = [a["action"] for a in await deps.incident_store.audit(first.id)]
    assert actions == ["declare", "resolve", "reopen"]
    await end(hooks, intake, clock, refire)
    clock.advance(minutes=40)
    await fire(hooks, intake, clock)
    newest, oldest = await incidents(deps)
    assert oldest.id == first.id
    assert oldest.status is Status.RESOLVED
    assert newest.id != first.id
    assert newest.status is Status.INVESTIGATING


async def test_an_incident_a_commander_resolved_is_not_declared_again_by_the_same_alert(
    hooks, intake, deps, clock
):
    start = await fire(hooks, intake, clock)
    (incident,) = await incidents(deps)
    resolved = await hooks.post(
        f"/api/v1/incidents/{incident.id}/resolve", json={}, headers=COMMANDER
    )
    assert resolved.status == 200
    for _ in range(3):
        await send(hooks, alert_body("fp1", start))
        clock.advance(minutes=5)
        await evaluate(intake)
    (only,) = await incidents(deps)
    assert only.status is Status.RESOLVED


async def test_pagerduty_incident_lives_and_resolves_through_its_events_and_lists_its_signals(
    hooks, intake, deps, clock
):
    from broadcaster.domain.signatures import hmac_sha256_hex

    def signed(name: str, webhook_id: str) -> tuple[bytes, dict[str, str]]:
        body = (PAYLOADS / f"pagerduty_v3_{name}.json").read_bytes()
        signature = "v1=" + hmac_sha256_hex(PD_SECRET.encode(), body)
        return body, {"X-PagerDuty-Signature": signature, "X-Webhook-Id": webhook_id}

    await post(hooks, "/webhooks/pagerduty", *signed("incident_triggered", "w1"))
    await evaluate(intake)
    (incident,) = await incidents(deps)
    assert incident.status is Status.INVESTIGATING  # P1 is critical: auto
    assert incident.source == "pagerduty"
    clock.advance(minutes=15)
    await post(hooks, "/webhooks/pagerduty", *signed("incident_resolved", "w2"))
    await evaluate(intake)
    clock.advance(minutes=5)
    await evaluate(intake)
    (incident,) = await incidents(deps)
    assert incident.status is Status.RESOLVED
    shown = await (await hooks.get(f"/api/v1/incidents/{incident.id}", headers=COMMANDER)).json()
    assert [s["state"] for s in shown["signals"]] == ["resolved", "firing"]
    assert shown["signals"][1]["raw"]["number"] == 4821


async def test_evaluating_a_group_that_expired_does_nothing(intake):
    assert await intake.evaluate("no-such-group") is None


async def test_the_next_timer_is_scheduled(hooks, intake, clock, redis_client):
    await send(hooks, alert_body("fp1", clock()))
    group_hash = (await intake.store.tracked())[0]
    step = await intake.evaluate(group_hash)
    assert step == Wait(clock() + timedelta(minutes=2))
    score = await redis_client.zscore("ob:grps", group_hash)
    assert score == (clock() + timedelta(minutes=2)).timestamp()


async def test_one_broken_group_does_not_hold_up_the_others(
    hooks, intake, deps, clock, redis_client
):
    await redis_client.set("ob:grp:broken", b"{}")
    await redis_client.zadd("ob:grps", {"broken": 0})
    await fire(hooks, intake, clock)
    (incident,) = await incidents(deps)
    assert incident.status is Status.INVESTIGATING
    assert await redis_client.zscore("ob:grps", "broken") == 0  # tried again next time
