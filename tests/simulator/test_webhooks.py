"""Signed webhooks to a real receiver: statuses, batching, duplicates, retries, inbound."""

from __future__ import annotations

import random

from broadcaster.simulator.webhooks import batches
from tests.simulator.conftest import PHONE_NUMBER_ID, post_message
from tests.simulator.templates import buttons_send, template_send, text_send

SECOND_NUMBER = "1000000000002"


async def test_status_webhooks_are_signed_batched_and_carry_opaque_data_and_pricing(
    start_simulator, client, receiver
):
    running = await start_simulator(
        webhook_url=receiver.url,
        read_ratio=1.0,
        webhook_batch_max=4,
        phone_number_ids=(PHONE_NUMBER_ID, SECOND_NUMBER),
    )
    wamids = []
    for n in range(6):
        payload = template_send(to=f"62812{n:08d}", biz_opaque_callback_data=f"b1:c{n}")
        number = (PHONE_NUMBER_ID, SECOND_NUMBER)[n % 2]
        wamids.append((await post_message(client, running, payload, phone_number_id=number)).wamid)
    sim = running.simulator
    await sim.wait_webhooks_idle()

    assert receiver.bad_signatures == 0
    assert len(receiver.statuses()) == 18
    for body in receiver.bodies:
        assert body["object"] == "whatsapp_business_account"
        (entry,) = body["entry"]
        assert entry["id"] == sim.config.waba_id
        assert sum(len(c["value"]["statuses"]) for c in entry["changes"]) <= 4
        for change in entry["changes"]:
            assert change["field"] == "messages"
            value = change["value"]
            assert value["messaging_product"] == "whatsapp"
            number = value["metadata"]["phone_number_id"]
            assert value["metadata"]["display_phone_number"] == sim.config.display_number(number)
            assert {s["recipient_id"] for s in value["statuses"]} <= {
                m.wa_id for m in sim.accepted if m.phone_number_id == number
            }
    for n, wamid in enumerate(wamids):
        statuses = [s for s in receiver.statuses() if s["id"] == wamid]
        assert sorted(s["status"] for s in statuses) == ["delivered", "read", "sent"]
        for status in statuses:
            assert status["biz_opaque_callback_data"] == f"b1:c{n}"
            assert status["recipient_id"] == f"62812{n:08d}"
            assert status["timestamp"].isdigit()
            assert "conversation" not in status
            assert "errors" not in status
            if status["status"] == "read":
                assert "pricing" not in status
            else:
                assert status["pricing"] == {
                    "billable": True,
                    "pricing_model": "PMP",
                    "type": "regular",
                    "category": "utility",
                }
    stats = sim.report()["webhooks"]
    assert stats["posted"] == len(receiver.bodies)
    assert (stats["statuses_posted"], stats["failed"], stats["pending"]) == (18, 0, 0)
    assert [m.statuses for m in sim.accepted] == [["sent", "delivered", "read"]] * 6


async def test_duplicates_post_every_status_twice(start_simulator, client, receiver):
    running = await start_simulator(webhook_url=receiver.url, read_ratio=0.0)
    running.simulator.faults.webhook_duplicate_ratio = 1.0
    answer = await post_message(client, running, template_send())
    await running.simulator.wait_webhooks_idle()
    assert sorted(receiver.statuses_of(answer.wamid)) == ["delivered", "delivered", "sent", "sent"]
    assert running.simulator.report()["webhooks"]["duplicates"] == 2
    assert running.simulator.report()["statuses"] == {"sent": 1, "delivered": 1}


def test_batches_are_cut_to_size_and_shuffled_only_when_reordering():
    items = [("n", {"i": i}) for i in range(25)]
    kept = batches(list(items), 10, random.Random(3), reorder=False)
    assert [len(b) for b in kept] == [10, 10, 5]
    assert [item for batch in kept for item in batch] == items
    shuffled = batches(list(items), 10, random.Random(3), reorder=True)
    assert [sorted(b, key=lambda x: x[1]["i"]) for b in shuffled] == kept
    assert shuffled != kept


async def test_a_refused_webhook_is_retried_until_accepted(start_simulator, client, receiver):
    running = await start_simulator(webhook_url=receiver.url, read_ratio=0.0)
    receiver.refuse_next = 2
    answer = await post_message(client, running, template_send())
    await running.simulator.wait_webhooks_idle()
    assert sorted(receiver.statuses_of(answer.wamid)) == ["delivered", "sent"]
    stats = running.simulator.report()["webhooks"]
    assert (stats["retried"], stats["failed"], stats["statuses_posted"]) == (2, 0, 2)
    assert receiver.attempts == len(receiver.bodies) + 2


async def test_a_webhook_refused_every_time_is_given_up(start_simulator, client, receiver):
    running = await start_simulator(webhook_url=receiver.url, delivered_ratio=0.0)
    receiver.refuse_next = 1000
    await post_message(client, running, template_send())
    await running.simulator.wait_webhooks_idle()
    stats = running.simulator.report()["webhooks"]
    assert (stats["posted"], stats["failed"], stats["retried"]) == (0, 1, 2)
    assert receiver.attempts == 3


async def test_unreachable_endpoint_counts_as_failed(start_simulator, client, receiver):
    running = await start_simulator(webhook_url="http://127.0.0.1:9/hook", delivered_ratio=0.0)
    await post_message(client, running, template_send())
    await running.simulator.wait_webhooks_idle()
    assert running.simulator.report()["webhooks"]["failed"] == 1


async def test_no_webhook_url_keeps_statuses_in_the_report_only(start_simulator, client):
    running = await start_simulator(read_ratio=1.0)
    await post_message(client, running, template_send())
    await running.simulator.wait_webhooks_idle()
    report = running.simulator.report()
    assert report["statuses"] == {"sent": 1, "delivered": 1, "read": 1}
    assert report["webhooks"]["posted"] == 0


async def test_inbound_text_opens_the_service_window(start_simulator, client, receiver):
    running = await start_simulator(webhook_url=receiver.url, read_ratio=0.0, pair_interval_s=0)
    sim = running.simulator
    outside = await post_message(client, running, text_send("Masih gangguan?"))
    assert outside.status == 200  # accepted, then failed asynchronously
    await sim.wait_webhooks_idle()
    (failed,) = [s for s in receiver.statuses() if s["id"] == outside.wamid]
    assert failed["status"] == "failed"
    assert failed["errors"][0]["code"] == 131047
    assert "pricing" not in failed

    inbound_id = await sim.inject_inbound("+6281234567890", text="Halo", profile_name="Budi")
    (value,) = [v for v in receiver.values() if "messages" in v]
    assert value["metadata"]["phone_number_id"] == PHONE_NUMBER_ID
    assert value["contacts"] == [{"profile": {"name": "Budi"}, "wa_id": "6281234567890"}]
    (message,) = value["messages"]
    assert message["id"] == inbound_id
    assert (message["from"], message["type"], message["text"]) == (
        "6281234567890",
        "text",
        {"body": "Halo"},
    )
    assert message["timestamp"].isdigit()

    inside = await post_message(client, running, text_send("Sudah pulih."))
    await sim.wait_webhooks_idle()
    assert sorted(receiver.statuses_of(inside.wamid)) == ["delivered", "sent"]
    (sent,) = [s for s in receiver.statuses() if s["id"] == inside.wamid and s["status"] == "sent"]
    assert sent["pricing"]["category"] == "service"
    assert sim.report()["async_errors"] == {"131047": 1}
    assert sim.report()["inbound"] == {"injected": 1, "by_type": {"text": 1}}


async def test_reply_buttons_outside_the_window_fail_131047(start_simulator, client, receiver):
    running = await start_simulator(webhook_url=receiver.url)
    answer = await post_message(client, running, buttons_send())
    await running.simulator.wait_webhooks_idle()
    (status,) = [s for s in receiver.statuses() if s["id"] == answer.wamid]
    assert (status["status"], status["errors"][0]["code"]) == ("failed", 131047)


async def test_inbound_button_and_interactive_replies_carry_context(
    start_simulator, client, receiver
):
    running = await start_simulator(webhook_url=receiver.url)
    sim = running.simulator
    notice = await post_message(client, running, template_send())
    await sim.inject_inbound(
        "6281234567890",
        button_payload="STOP_42",
        button_text="Berhenti",
        context_wamid=notice.wamid,
    )
    await sim.inject_inbound(
        "6281234567890",
        interactive_reply_id="svc_ok",
        interactive_reply_title="Sudah normal",
        context_wamid=notice.wamid,
    )
    button, interactive = receiver.messages()
    context = {"from": sim.config.display_number(PHONE_NUMBER_ID), "id": notice.wamid}
    assert button["type"] == "button"
    assert button["button"] == {"payload": "STOP_42", "text": "Berhenti"}
    assert button["context"] == context
    assert interactive["type"] == "interactive"
    assert interactive["interactive"] == {
        "type": "button_reply",
        "button_reply": {"id": "svc_ok", "title": "Sudah normal"},
    }
    assert interactive["context"] == context
    assert sim.report()["inbound"]["by_type"] == {"button": 1, "interactive": 1}


async def test_undeliverable_numbers_fail_131026(start_simulator, client, receiver):
    running = await start_simulator(
        webhook_url=receiver.url, undeliverable_numbers=frozenset({"6281234567890"})
    )
    answer = await post_message(client, running, template_send())
    assert answer.status == 200
    await running.simulator.wait_webhooks_idle()
    statuses = [s for s in receiver.statuses() if s["id"] == answer.wamid]
    (failed,) = [s for s in statuses if s["status"] == "failed"]
    assert failed["errors"][0]["code"] == 131026
    assert {s["status"] for s in statuses} <= {"sent", "failed"}


async def test_marketing_to_a_stopped_number_fails_131050(start_simulator, client, receiver):
    running = await start_simulator(
        webhook_url=receiver.url, marketing_stopped_numbers=frozenset({"+6281234567890"})
    )
    voucher = template_send(
        "voucher_v1",
        components=[{"type": "body", "parameters": [{"type": "text", "text": "VC-1"}]}],
    )
    answer = await post_message(client, running, voucher)
    await running.simulator.wait_webhooks_idle()
    (status,) = [s for s in receiver.statuses() if s["id"] == answer.wamid]
    assert (status["status"], status["errors"][0]["code"]) == ("failed", 131050)


async def test_zero_retry_delays_still_count_as_retries(start_simulator, client, receiver):
    running = await start_simulator(
        webhook_url=receiver.url, delivered_ratio=0.0, webhook_retry_delays_s=(0.0, 0.0)
    )
    receiver.refuse_next = 1000
    await post_message(client, running, template_send())
    await running.simulator.wait_webhooks_idle()
    stats = running.simulator.report()["webhooks"]
    assert (stats["retried"], stats["failed"], receiver.attempts) == (2, 1, 3)


async def test_without_reordering_each_post_keeps_emission_order(start_simulator, client, receiver):
    running = await start_simulator(
        webhook_url=receiver.url, read_ratio=1.0, status_delay_s=(0.0, 0.0), pair_interval_s=0
    )
    running.simulator.faults.webhook_reorder = False
    for n in range(10):
        await post_message(client, running, template_send(to=f"62812{n:08d}"))
    await running.simulator.wait_webhooks_idle()
    rank = {"sent": 0, "delivered": 1, "read": 2}
    for value in receiver.values():
        seen: dict[str, int] = {}
        for status in value["statuses"]:
            assert rank[status["status"]] >= seen.get(status["id"], -1)
            seen[status["id"]] = rank[status["status"]]
    assert len(receiver.statuses()) == 30
