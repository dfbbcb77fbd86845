"""Service recovery end to end: coalesced honest ETAs, quiet hours, the "next update by"
promise, resolution with vouchers for everyone affected, a provider outage, and the
follow-up a day later with its answers. Real simulator, server and worker; durations are
shortened in the settings and the wall clock is a settable one where hours must pass.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import dataclasses
import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from broadcaster.cli import vouchers as cli_vouchers
from broadcaster.clock import ShiftedClock
from broadcaster.config import Settings
from broadcaster.domain.cadence import honest_eta
from broadcaster.domain.incidents import Actor
from broadcaster.domain.templates import Kind
from broadcaster.domain.timefmt import format_rfc3339
from broadcaster.errors import InputError
from broadcaster.listening import serving_app
from broadcaster.localization import format_local
from broadcaster.policies import cadence_policy
from broadcaster.simulator import SimulatorConfig
from tests.e2e import inbound_support
from tests.e2e.harness import LocalStack, running_stack, sample_customers

QUIET_OFF = {"quiet_start": "00:00", "quiet_end": "00:00"}


def tuned(settings: Settings, **sections: dict[str, Any]) -> Settings:
    """``settings`` with some keys of some sections replaced."""
    for name, values in sections.items():
        settings = dataclasses.replace(
            settings, **{name: dataclasses.replace(getattr(settings, name), **values)}
        )
    return settings


def fast(settings: Settings, **cadence: Any) -> Settings:
    base = {
        "coalesce": timedelta(seconds=2),
        "min_interval": timedelta(0),
        "promise_every": timedelta(hours=1),
        **QUIET_OFF,
    }
    return tuned(
        settings,
        cadence={**base, **cadence},
        worker={"max_defer": timedelta(seconds=1)},
        followup={"after": timedelta(hours=1)},
        whatsapp={"reconcile_after": timedelta(seconds=40), "pair_interval": timedelta(0)},
    )


def sent(stack: LocalStack, template: str) -> list[Any]:
    return [m for m in stack.sim.simulator.accepted if m.template_name == template]


async def broadcast_done(stack: LocalStack, incident_id: str, kind: str, count: int = 1) -> Any:
    async def done() -> Any:
        report = await stack.report(incident_id)
        matching = [b for b in report["broadcasts"] if b["kind"] == kind]
        finished = [b for b in matching if b["status"] in ("done", "cancelled")]
        return report if len(finished) >= count else None

    return await stack.wait_for(done, limit=120)


async def declare(stack: LocalStack, **extra: Any) -> dict[str, Any]:
    incident = await inbound_support.declare(stack, **extra)
    await broadcast_done(stack, incident["id"], "notice")
    return incident


async def test_five_eta_changes_become_one_update_with_the_latest_honest_eta(settings, redis_url):
    config = SimulatorConfig(pair_interval_s=0, seed=3)
    base = fast(settings, coalesce=timedelta(seconds=3))
    async with running_stack(base, redis_url, config, sample_customers(300)) as stack:
        stack.start_worker()
        now = datetime.now(UTC)
        incident = await declare(stack, eta=format_rfc3339(now + timedelta(hours=2)))
        notified = {m.to for m in sent(stack, "outage_notice")}
        etas = [now + timedelta(hours=2, minutes=m) for m in (10, 40, 60, 80, 120)]
        for eta in etas:
            await stack.call(
                "POST", f"/api/v1/incidents/{incident['id']}/updates", {"eta": format_rfc3339(eta)}
            )
        report = await broadcast_done(stack, incident["id"], "update")
        await asyncio.sleep(4)  # longer than the window: a second update would show by now
        report = await stack.report(incident["id"])
    updates = sent(stack, "outage_update")
    assert len([b for b in report["broadcasts"] if b["kind"] == "update"]) == 1
    assert Counter(m.to for m in updates).most_common(1)[0][1] == 1, "at most one update each"
    assert {m.to for m in updates} == notified, "exactly those who got the notice"
    told = honest_eta(etas[-1], cadence_policy(base))
    assert told is not None
    for message in updates:
        language = "en" if message.template_language == "en" else "id"
        assert message.params[2] == format_local(told, "Asia/Jakarta", language), "latest ETA"


async def test_an_update_names_other_incidents_only_to_those_told_of_them(settings, redis_url):
    """One thread per customer: an update mentions the other open incidents the customer heard
    of, never one whose holdout they are in (that would tell them through the back door)."""
    config = SimulatorConfig(pair_interval_s=0, seed=5)
    async with running_stack(fast(settings), redis_url, config, sample_customers(300)) as stack:
        stack.start_worker()
        now = datetime.now(UTC)
        await declare(stack, title="Gangguan listrik", holdout_percent=50)
        told_of_power = {m.to for m in sent(stack, "outage_notice")}
        fiber = await declare(stack, eta=format_rfc3339(now + timedelta(hours=2)))
        later = format_rfc3339(now + timedelta(hours=3))
        await stack.call("POST", f"/api/v1/incidents/{fiber['id']}/updates", {"eta": later})
        await broadcast_done(stack, fiber["id"], "update")
    updates = sent(stack, "outage_update")
    mentioned = {m.to for m in updates if any("Gangguan listrik" in p for p in m.params)}
    assert mentioned, "those told of the power outage hear of it again in the fiber update"
    assert mentioned == told_of_power & {m.to for m in updates}
    assert len(mentioned) < len(updates), "the power incident's holdout hears nothing of it"


async def test_quiet_hours_hold_an_update_until_morning(settings, redis_url):
    evening = datetime.now(UTC).replace(hour=15, minute=30, second=0)  # 22:30 in Jakarta
    clock = ShiftedClock(evening)
    base = fast(settings, quiet_start="21:00", quiet_end="07:00")
    config = SimulatorConfig(pair_interval_s=0, seed=4)
    async with running_stack(base, redis_url, config, sample_customers(300), clock=clock) as stack:
        stack.start_worker()
        incident = await declare(stack, eta=format_rfc3339(clock() + timedelta(hours=10)))
        assert sent(stack, "outage_notice"), "a notice is never held"
        later = format_rfc3339(clock() + timedelta(hours=12))
        await stack.call("POST", f"/api/v1/incidents/{incident['id']}/updates", {"eta": later})

        async def held() -> Any:
            report = await stack.report(incident["id"])
            updates = [b for b in report["broadcasts"] if b["kind"] == "update"]
            return updates and updates[0]["progress"]["held"] == updates[0]["recipients"]

        await stack.wait_for(held, limit=60)
        await asyncio.sleep(2)
        assert not sent(stack, "outage_update"), "nothing at night"
        clock.advance(timedelta(hours=8, minutes=31))  # 07:01 in Jakarta
        await broadcast_done(stack, incident["id"], "update")
    assert {m.to for m in sent(stack, "outage_update")} == {
        m.to for m in sent(stack, "outage_notice")
    }


async def test_the_next_update_promise_sends_still_working(settings, redis_url):
    base = fast(settings, promise_every=timedelta(seconds=3))
    config = SimulatorConfig(pair_interval_s=0, seed=5)
    async with running_stack(base, redis_url, config, sample_customers(300)) as stack:
        stack.start_worker()
        incident = await declare(stack, eta=format_rfc3339(datetime.now(UTC) + timedelta(hours=3)))
        await broadcast_done(stack, incident["id"], "update")
    still = sent(stack, "outage_update")
    assert still
    assert all(
        m.params[1].startswith(("kami masih menanganinya", "we are still on it")) for m in still
    )
    assert {m.to for m in still} <= {m.to for m in sent(stack, "outage_notice")}


def voucher_value(tier: str) -> str:
    """The default policy at 3 hours of outage: 10,000 IDR times the tier multiplier."""
    return {"platinum": "Rp20.000", "gold": "Rp15.000", "silver": "Rp12.000"}.get(tier, "Rp10.000")


async def test_resolution_gives_everyone_affected_one_voucher_of_the_right_value(
    settings, redis_url, tmp_path
):
    clock = ShiftedClock()
    customers = sample_customers(600)
    # a few customers stopped marketing messages: their voucher message fails with 131050
    stopped = {c.phone for c in customers[:5]}
    config = SimulatorConfig(
        pair_interval_s=0, seed=6, marketing_stopped_numbers=frozenset(stopped)
    )
    base = fast(settings)
    async with running_stack(base, redis_url, config, customers, clock=clock) as stack:
        stack.start_worker()
        incident = await declare(stack, holdout_percent=20)
        clock.advance(timedelta(hours=3))
        await stack.call("POST", f"/api/v1/incidents/{incident['id']}/resolve", {})
        await broadcast_done(stack, incident["id"], "voucher")
        report = await broadcast_done(stack, incident["id"], "resolution")
        again = await stack.deps.vouchers.issue_for_incident(incident["id"])
        stopped_ids = {c.wa_id for c in customers[:5]}
        refusals = len({m.to for m in sent(stack, "outage_voucher")} & stopped_ids)

        async def failures_reported() -> Any:
            report = await stack.report(incident["id"])
            return report if report["messages"]["voucher"]["failed"] >= refusals else None

        final = await stack.wait_for(failures_reported)
        exported = await export_vouchers(stack, incident["id"], tmp_path)
    tier = {c.wa_id: c.tier for c in customers}
    affected = {m.to for m in sent(stack, "outage_notice")}
    held = report["audience"]["holdout"]
    assert held > 0
    resolutions = Counter(m.to for m in sent(stack, "outage_resolved"))
    assert len(resolutions) == len(affected) + held, "the holdout hears the resolution too"
    assert set(resolutions.values()) == {1}
    vouchers = sent(stack, "outage_voucher")
    assert Counter(m.to for m in vouchers) == Counter(dict.fromkeys(resolutions, 1))
    for message in vouchers:
        assert message.params[1] == voucher_value(tier[message.to])
    codes = [m.params[2] for m in vouchers]
    assert len(set(codes)) == len(codes)
    assert again.issued == len(vouchers), "re-running finds the same vouchers"
    assert len(sent(stack, "outage_voucher")) == len(vouchers), "and sends nothing new"
    assert final["vouchers"]["issued"] == len(vouchers)
    assert final["vouchers"]["delivered"] == final["messages"]["voucher"]["delivered"]
    assert final["eta"]["kept"] == "none"
    # finance's export: the ledger, one row per voucher, with what became of its message
    by_code = {row["code"]: row for row in exported}
    assert set(by_code) == set(codes)
    refused = {c.wa_id for c in customers[:5]} & set(resolutions)
    assert refused, "some customers who stopped marketing were affected"
    for message in vouchers:
        row = by_code[message.params[2]]
        assert (row["status"], row["currency"]) == ("issued", "IDR")
        assert row["tier"] == tier[message.to]
        # who stopped marketing keeps a claimable voucher; its message failed
        expected = (
            {"failed"} if message.to in refused else {"accepted", "sent", "delivered", "read"}
        )
        assert row["message"] in expected
    assert final["vouchers"]["delivered"] <= final["vouchers"]["issued"] - len(refused)


@pytest.mark.slow
async def test_a_voucher_provider_outage_delays_vouchers_not_the_resolution(settings, redis_url):
    outage = {"down": False}
    requests: list[dict[str, Any]] = []

    async def provider(request: web.Request) -> web.Response:
        body = await request.json()
        requests.append({"key": request.headers.get("Idempotency-Key"), **body})
        if outage["down"]:
            return web.Response(status=503)
        return web.json_response({"id": f"prov-{body['code']}"})

    app = web.Application()
    app.router.add_post("/vouchers", provider)
    async with serving_app(app) as provider_url:
        clock = ShiftedClock()
        base = tuned(
            fast(settings),
            vouchers={
                "issuer": "http",
                "provider_url": provider_url + "/vouchers",
                "retry_every": timedelta(seconds=1),
            },
        )
        config = SimulatorConfig(pair_interval_s=0, seed=7)
        async with running_stack(
            base, redis_url, config, sample_customers(300), clock=clock
        ) as stack:
            stack.start_worker()
            incident = await declare(stack)
            clock.advance(timedelta(hours=3))
            outage["down"] = True
            await stack.call("POST", f"/api/v1/incidents/{incident['id']}/resolve", {})
            await broadcast_done(stack, incident["id"], "resolution")

            async def recorded() -> Any:
                report = await stack.report(incident["id"])
                return report if report["vouchers"]["issued"] else None

            report = await stack.wait_for(recorded, limit=30)
            assert report["vouchers"]["pending"] == report["vouchers"]["issued"], "all wait"
            assert not sent(stack, "outage_voucher")
            assert sent(stack, "outage_resolved"), "the resolution does not wait for vouchers"
            outage["down"] = False

            async def recovered() -> Any:
                report = await stack.report(incident["id"])
                vouchers = report["vouchers"]
                return (
                    report
                    if vouchers["pending"] == 0 and vouchers["delivered"] == vouchers["issued"]
                    else None
                )

            report = await stack.wait_for(recovered, limit=90)
    assert report["vouchers"]["issued"] == len(sent(stack, "outage_resolved"))
    assert len(sent(stack, "outage_voucher")) == report["vouchers"]["issued"]
    keys = Counter(r["key"] for r in requests)
    assert max(keys.values()) > 1, "retried with the same idempotency key"
    assert len(keys) == report["vouchers"]["issued"]


async def test_follow_up_is_sent_and_its_answers_recorded(settings, redis_url):
    cases: list[dict[str, Any]] = []

    async def helpdesk(request: web.Request) -> web.Response:
        cases.append(await request.json())
        return web.json_response({"ok": True}, status=201)

    app = web.Application()
    app.router.add_post("/cases", helpdesk)
    async with serving_app(app) as helpdesk_url:
        base = tuned(
            fast(settings),
            followup={"after": timedelta(seconds=2), "helpdesk_url": helpdesk_url + "/cases"},
        )
        config = SimulatorConfig(pair_interval_s=0, seed=8)
        async with running_stack(base, redis_url, config, sample_customers(300)) as stack:
            stack.start_worker()
            incident = await declare(stack)
            await stack.call("POST", f"/api/v1/incidents/{incident['id']}/resolve", {})
            await broadcast_done(stack, incident["id"], "follow_up")
            follow_ups = sent(stack, "outage_follow_up")
            assert follow_ups
            down, ok = follow_ups[0], follow_ups[1]
            sim = stack.sim.simulator
            await sim.inject_inbound(
                down.to, button_payload=f"FU:{incident['id']}:down", button_text="Masih"
            )
            await sim.inject_inbound(
                ok.to, button_payload=f"FU:{incident['id']}:ok", button_text="Sudah"
            )
            # one message: thanks and the 1-5 question
            await stack.wait_for(
                lambda: len([m for m in sim.accepted if m.to == ok.to and m.type == "text"]) >= 1
            )
            await sim.inject_inbound(ok.to, text="5")

            async def answered() -> Any:
                report = await stack.report(incident["id"])
                done = report["follow_up"]["csat"]["answers"] == 1 and cases
                return report if done else None

            report = await stack.wait_for(answered, limit=30)
    assert all(b["kind"] for b in report["broadcasts"])
    payloads = {p for m in follow_ups for p in m.params[-2:]}
    assert payloads == {f"FU:{incident['id']}:ok", f"FU:{incident['id']}:down"}
    summary = report["follow_up"]
    assert (summary["answered_ok"], summary["answered_down"]) == (1, 1)
    assert len(summary["cases"]) == 1
    assert summary["csat"]["average"] == 5
    assert cases[0]["incident_id"] == incident["id"]
    assert cases[0]["phone"] == "+" + down.to


async def export_vouchers(stack: LocalStack, incident_id: str, where: Path) -> list[dict[str, str]]:
    """``broadcaster vouchers export`` to a file, plus its refusals of bad requests."""
    target = where / "vouchers.csv"
    args = argparse.Namespace(id=incident_id, format="csv", output=target)
    assert await asyncio.to_thread(cli_vouchers._export, args, stack.settings) == 0
    unknown = argparse.Namespace(id="INC-404", format="csv", output=where / "none.csv")
    with pytest.raises(InputError, match="404"):
        await asyncio.to_thread(cli_vouchers._export, unknown, stack.settings)
    left = await asyncio.to_thread(lambda: sorted(p.name for p in where.iterdir()))
    assert left == ["vouchers.csv"], "a refused export leaves no file behind"
    async with stack.session.get(
        f"{stack.api_url}/api/v1/incidents/{incident_id}/vouchers?format=xlsx"
    ) as response:
        assert response.status == 400
    async with stack.session.get(
        f"{stack.api_url}/api/v1/incidents/{incident_id}/vouchers?format=jsonl"
    ) as response:
        lines = [json.loads(line) for line in (await response.text()).splitlines()]
    rows = await asyncio.to_thread(read_csv, target)
    assert sorted(r["code"] for r in rows) == sorted(line["code"] for line in lines)
    return rows


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as rows:
        return list(csv.DictReader(rows))


async def test_the_first_eta_told_may_come_with_an_update(settings, redis_url):
    """A notice without an ETA leaves "ETA kept" to the first update that gives one."""
    async with running_stack(fast(settings), redis_url, None, sample_customers(40)) as stack:
        planner = stack.deps.planner
        body = {"title": "Gangguan fiber", "segments": ["fiber"]}
        incident = await stack.call("POST", "/api/v1/incidents", body)
        await planner.plan(incident["id"], Kind.NOTICE, "r1")
        assert (await stack.report(incident["id"]))["eta"]["first_told"] is None
        eta = datetime.now(UTC) + timedelta(hours=2)
        path = f"/api/v1/incidents/{incident['id']}/updates"
        await stack.call("POST", path, {"eta": format_rfc3339(eta)})
        await planner.plan(incident["id"], Kind.UPDATE, "r9")
        told = honest_eta(eta, cadence_policy(stack.settings))
        assert (await stack.report(incident["id"]))["eta"]["first_told"] == format_rfc3339(told)
        # a later ETA does not rewrite what customers first heard
        await stack.call("POST", path, {"eta": format_rfc3339(eta + timedelta(hours=1))})
        await planner.plan(incident["id"], Kind.UPDATE, "r10")
        assert (await stack.report(incident["id"]))["eta"]["first_told"] == format_rfc3339(told)


async def test_an_update_refused_once_is_retried_and_reaches_everyone(settings, redis_url):
    """The first attempt's claim records the customer as told: the retry must still go."""
    config = SimulatorConfig(pair_interval_s=0, seed=5)
    async with running_stack(fast(settings), redis_url, config, sample_customers(150)) as stack:
        stack.start_worker()
        incident = await declare(stack)
        notified = {m.to for m in sent(stack, "outage_notice")}
        stack.sim.simulator.faults = dataclasses.replace(
            stack.sim.simulator.faults, throttle_burst=5
        )  # the next five sends are refused with 130429
        eta = format_rfc3339(datetime.now(UTC) + timedelta(hours=3))
        await stack.call("POST", f"/api/v1/incidents/{incident['id']}/updates", {"eta": eta})
        report = await broadcast_done(stack, incident["id"], "update")
    updates = Counter(m.to for m in sent(stack, "outage_update"))
    assert stack.sim.simulator.ledger.faults["throttle_burst"] == 5
    assert set(updates) == notified, "the five refused recipients got it on their retry"
    assert set(updates.values()) == {1}
    assert report["messages"]["update"]["skipped"] == 0


async def test_a_reopened_incident_notifies_everyone_it_told_was_fixed(settings, redis_url):
    async with running_stack(fast(settings), redis_url, None, sample_customers(60)) as stack:
        planner = stack.deps.planner
        body = {"title": "Gangguan fiber", "segments": ["fiber"], "holdout_percent": 0}
        incident = await stack.call("POST", "/api/v1/incidents", body)
        first = await planner.plan(incident["id"], Kind.NOTICE, "r1")
        await stack.call("POST", f"/api/v1/incidents/{incident['id']}/resolve", {})
        reopened = await stack.deps.incidents.reopen(incident["id"], Actor("intake", "test"), True)
        assert reopened.episode == 1
        again = await planner.plan(incident["id"], Kind.NOTICE, f"r{reopened.revision}")
        # a widened scope within one episode still adds only customers not yet selected
        widened = await planner.plan(incident["id"], Kind.NOTICE, "widened")
    assert first is not None
    assert again is not None
    assert widened is not None
    assert first.total > 0
    assert again.total == first.total, "everyone told it was fixed hears it is back"
    assert widened.total == 0
