"""Customers write in through the simulator's signed webhooks; the worker answers, opts out,
records follow-up answers and contacts. Nothing here asserts how fast: the answer time is
printed and exported as broadcaster_auto_reply_duration_seconds."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import time
import xml.etree.ElementTree as ET
from collections import Counter
from datetime import UTC, datetime, timedelta

from broadcaster.adapters.rate_limiter import Pacers
from broadcaster.cli import commander
from broadcaster.domain.cadence import honest_eta
from broadcaster.domain.templates import Kind
from broadcaster.domain.timefmt import format_rfc3339, parse_rfc3339
from broadcaster.localization import format_local
from broadcaster.policies import cadence_policy
from broadcaster.services.inbound import handle_inbound_message
from broadcaster.simulator import Faults, SimulatorConfig
from tests.e2e.harness import running_stack
from tests.e2e.inbound_support import customer, declare, drained, notice_done, texts_to

NO_PAIR_LIMIT = SimulatorConfig(pair_interval_s=0)


def eta_in(hours: int) -> str:
    moment = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(hours=hours)
    return format_rfc3339(moment) or ""


async def test_an_affected_customer_who_writes_in_gets_the_current_eta_in_their_language(
    settings, redis_url
):
    siti = customer(1, "id")
    tom = customer(2, "en", timezone="Asia/Makassar", name="Tom Baker")
    elsewhere = customer(3, "id", region="bandung")
    customers = [siti, tom, elsewhere]
    # Meta's pair rate on (one per 6 s, bursts of 45): the answer comes right after the notice
    async with running_stack(settings, redis_url, SimulatorConfig(), customers) as stack:
        stack.start_worker()
        sim = stack.sim.simulator
        incident = await declare(stack, eta=eta_in(3))
        eta = parse_rfc3339(incident["eta"])
        assert eta is not None
        await stack.wait_for(lambda: notice_done(stack, incident["id"]))

        asked = time.monotonic()
        await sim.inject_inbound(siti.wa_id, text="Internet mati ya?")
        await sim.inject_inbound(tom.wa_id, text="Is the internet down?")
        await sim.inject_inbound(elsewhere.wa_id, text="halo")
        await sim.inject_inbound("6289900000001", text="hello?")
        await stack.wait_for(lambda: texts_to(stack, siti.wa_id) and texts_to(stack, tom.wa_id))
        print(f"answered after {time.monotonic() - asked:.3f} s (two customers)")
        await stack.wait_for(lambda: drained(stack))

        told = honest_eta(eta, cadence_policy(stack.settings))  # what the notice said
        assert told is not None
        (to_siti,) = texts_to(stack, siti.wa_id)
        assert f"Perkiraan layanan pulih: {format_local(told, 'Asia/Jakarta', 'id')}." in to_siti
        assert "Status: sedang kami periksa." in to_siti
        (to_tom,) = texts_to(stack, tom.wa_id)
        assert f"Expected restoration: {format_local(told, 'Asia/Makassar', 'en')}." in to_tom
        assert to_tom.startswith("Hello Tom,")
        assert texts_to(stack, elsewhere.wa_id) == [], "not affected: an agent answers"
        assert not [m for m in sim.accepted if m.to == "6289900000001"], "unknown: nothing"
        assert all(m.in_service_window for m in sim.accepted if m.text)
        assert "131056" not in sim.report()["errors"], "the answers kept to the pair rate"

        later = eta_in(5)
        await stack.call(
            "POST",
            f"/api/v1/incidents/{incident['id']}/updates",
            {"eta": later, "status": "identified"},
        )
        await sim.inject_inbound(siti.wa_id, text="Kapan pulih?")
        await stack.wait_for(lambda: len(texts_to(stack, siti.wa_id)) == 2)
        newer = texts_to(stack, siti.wa_id)[1]
        later_eta = honest_eta(parse_rfc3339(later), cadence_policy(stack.settings))
        assert later_eta is not None
        assert format_local(later_eta, "Asia/Jakarta", "id") in newer
        assert "penyebab sudah ditemukan" in newer
        await sim.inject_inbound(siti.wa_id, text="Kapan pulih??")
        await stack.wait_for(lambda: drained(stack))
        assert len(texts_to(stack, siti.wa_id)) == 2, "the same answer is not repeated"

        report = await stack.report(incident["id"])
        deflection = report["deflection"]
        assert deflection["answered_automatically"] == 3
        assert report["messages"]["reply"]["sent"] == 3
        assert deflection["notified"]["contacting"] == 2
        assert deflection["notified"]["contacts"] == 4
        assert deflection["contacts"]["by_channel"] == {"whatsapp": 4}
        metrics = await (await stack.session.get(stack.api_url + "/metrics")).text()
        assert 'broadcaster_inbound_messages_total{type="text"}' in metrics


async def test_stop_removes_a_customer_from_the_next_broadcast(settings, redis_url):
    customers = [customer(1, "id"), customer(2, "en", name="Tom Baker"), customer(3, "id")]
    stopper = customers[1]
    async with running_stack(settings, redis_url, NO_PAIR_LIMIT, customers) as stack:
        stack.start_worker()
        sim = stack.sim.simulator
        first = await declare(stack)
        await stack.wait_for(lambda: notice_done(stack, first["id"]))
        assert {m.to for m in sim.accepted if m.template_name} == {c.wa_id for c in customers}
        await stack.call("POST", f"/api/v1/incidents/{first['id']}/resolve", {})

        await sim.inject_inbound(stopper.wa_id, text="STOP")
        await stack.wait_for(lambda: texts_to(stack, stopper.wa_id))
        await sim.inject_inbound(stopper.wa_id, button_payload="STOP", button_text="Stop")
        await stack.wait_for(lambda: drained(stack))
        (confirmation,) = texts_to(stack, stopper.wa_id)
        assert "no longer receive outage updates" in confirmation, "confirmed once"

        sim.reset()
        second = await declare(stack, title="Gangguan fiber lagi")
        report = await stack.wait_for(lambda: notice_done(stack, second["id"]))
        notified = {m.to for m in sim.accepted if m.template_name}
        assert notified == {customers[0].wa_id, customers[2].wa_id}
        assert report["audience"]["notified"] == 2

        await sim.inject_inbound(stopper.wa_id, text="masih mati?")
        await stack.wait_for(lambda: drained(stack))
        assert texts_to(stack, stopper.wa_id) == [], "opted out: no answer either"

        await sim.inject_inbound(stopper.wa_id, text="start")
        await stack.wait_for(lambda: texts_to(stack, stopper.wa_id))
        assert "receive outage updates from NusaNet again" in texts_to(stack, stopper.wa_id)[0]
        assert await stack.deps.directory.is_opted_out([2]) == [False]


async def test_follow_up_answers_are_recorded_and_are_not_contacts(settings, redis_url):
    customers = [customer(1, "id"), customer(2, "en")]
    async with running_stack(settings, redis_url, NO_PAIR_LIMIT, customers) as stack:
        stack.start_worker()
        sim = stack.sim.simulator
        incident = await declare(stack)
        await stack.wait_for(lambda: notice_done(stack, incident["id"]))
        payload = f"FU:{incident['id']}"
        await sim.inject_inbound(customers[0].wa_id, button_payload=f"{payload}:down")
        await sim.inject_inbound(customers[1].wa_id, interactive_reply_id=f"{payload}:ok")
        await sim.inject_inbound(customers[1].wa_id, button_payload="FU:INC-999:ok")
        await stack.wait_for(lambda: drained(stack))
        answers = await stack.deps.inbound_records.follow_up_answers(incident["id"])
        assert answers == {1: "down", 2: "ok"}
        assert await stack.deps.inbound_records.follow_up_answers("INC-999") == {}
        texts: dict[str, list[str]] = {m.to: [] for m in sim.accepted if m.text}
        for m in sim.accepted:
            if m.text:
                texts[m.to].append(m.text)
        # acknowledged (a case for "down"; thanks with the satisfaction question for "ok"),
        # never answered with the incident status as a contact would be
        assert [
            t.startswith("Mohon maaf layanan Anda masih bermasalah")
            for t in texts[customers[0].wa_id]
        ] == [True]
        [thanks] = texts[customers[1].wa_id]  # one message: thanks, then the question
        assert thanks.startswith("Thank you for confirming")
        assert "How satisfied are you with how we handled this disruption?" in thanks
        assert not any("Status:" in t for ts in texts.values() for t in ts), "no status answer"
        report = await stack.report(incident["id"])
        assert report["deflection"]["contacts"]["total"] == 0


class CountingPacers:
    """The real pacers, counting the slots each sender number gives out."""

    def __init__(self, real: Pacers) -> None:
        self.real = real
        self.slots: Counter[str] = Counter()

    def __getitem__(self, number: str):
        pacer, slots = self.real[number], self.slots

        class Counting:
            async def take(self, most: int, horizon: float = 0.05) -> list[float]:
                taken = await pacer.take(most, horizon)
                slots[number] += len(taken)
                return taken

            async def wait(self, slot: float) -> None:
                await pacer.wait(slot)

            async def push_back(self, seconds: float) -> None:
                await pacer.push_back(seconds)

        return Counting()


def message(wa_id: str, number: str, text: str, n: int) -> dict[str, object]:
    return {
        "message_id": f"wamid.IN{n}",
        "from_number": wa_id,
        "timestamp": int(time.time()),
        "type": "text",
        "phone_number_id": number,
        "text": text,
    }


async def test_inbound_messages_and_answers_use_the_numbers_throughput(settings, redis_url):
    """Meta counts inbound messages against the number's throughput: one slot each, plus
    one per answer; an answer refused for throughput is sent again."""
    siti = customer(1, "id")
    sim_config = SimulatorConfig(pair_interval_s=0, faults=Faults(throttle_burst=1))
    async with running_stack(settings, redis_url, sim_config, [siti]) as stack:
        number = stack.settings.whatsapp.phone_number_ids[0]
        await declare(stack)  # no worker: nothing is broadcast, the incident is active
        pacers = CountingPacers(stack.deps.pacers)
        deps = dataclasses.replace(stack.deps, pacers=pacers)  # type: ignore[arg-type]
        received = int(time.time() * 1000)
        unknown = await handle_inbound_message(
            deps, message("6289900000001", number, "hi", 1), received
        )
        asked = await handle_inbound_message(
            deps, message(siti.wa_id, number, "mati?", 2), received
        )
        assert (unknown, asked) == ("unknown_sender", "answered")
        sim = stack.sim.simulator
        assert sim.ledger.sync_errors[130429] == 1, "the first answer was throttled"
        assert len(texts_to(stack, siti.wa_id)) == 1
        # inbound 1 + inbound 1 + the answer twice (throttled, then sent)
        assert pacers.slots == Counter({number: 4})


async def test_the_cli_report_prints_the_deflection_and_writes_the_chart(
    settings, redis_url, tmp_path, capsys
):
    customers = [customer(i, "id") for i in range(40)]
    async with running_stack(settings, redis_url, NO_PAIR_LIMIT, customers) as stack:
        incident = await declare(stack, holdout_percent=25)
        await stack.deps.planner.plan(incident["id"], Kind.NOTICE, "r1")
        await stack.call(
            "POST",
            "/api/v1/contacts",
            {"contacts": [{"channel": "chat", "customer_id": "C00003", "time": eta_in(0)}]},
        )
        chart = tmp_path / "deflection.svg"
        args = argparse.Namespace(id=incident["id"], json=False, chart=chart)
        assert await asyncio.to_thread(commander._report, args, stack.settings) == 0
    printed = capsys.readouterr().out
    assert "deflection: randomised holdout" in printed
    assert "answered automatically: 0" in printed
    root = ET.parse(chart).getroot()
    assert root.find("{http://www.w3.org/2000/svg}polyline[@id='series-holdout']") is not None
