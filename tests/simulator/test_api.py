"""The send endpoint over real HTTP: success shape, auth, validation, limits, read endpoints."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest

from tests.simulator.conftest import (
    PHONE_NUMBER_ID,
    TOKEN,
    StartSimulator,
    get_json,
    post_message,
)
from tests.simulator.templates import buttons_send, notice_components, template_send, text_send


async def test_template_send_answers_with_meta_success_shape(start_simulator, client):
    running = await start_simulator()
    answer = await post_message(client, running, template_send(biz_opaque_callback_data="b1:c9"))
    assert answer.status == 200
    assert answer.body == {
        "messaging_product": "whatsapp",
        "contacts": [{"input": "+6281234567890", "wa_id": "6281234567890"}],
        "messages": [{"id": answer.wamid, "message_status": "accepted"}],
    }
    assert answer.wamid.startswith("wamid.")
    (message,) = running.simulator.accepted
    assert (message.wamid, message.type, message.to) == (answer.wamid, "template", "+6281234567890")
    assert (message.template_name, message.template_language) == ("outage_notice_v1", "id")
    assert message.template_category == "UTILITY"
    assert message.params == ["jaringan", "Jakarta Selatan", "14:30 WIB", "STOP_42", "inc-42"]
    assert message.biz_opaque_callback_data == "b1:c9"
    assert message.accepted_at <= time.monotonic()


async def test_each_accepted_message_gets_its_own_wamid(start_simulator, client):
    running = await start_simulator(pair_interval_s=0)
    answers = [await post_message(client, running, text_send()) for _ in range(3)]
    assert len({a.wamid for a in answers}) == 3
    assert all("message_status" not in a.body["messages"][0] for a in answers)
    assert [m.text for m in running.simulator.accepted] == ["Layanan sudah pulih."] * 3


@pytest.mark.parametrize("token", [None, "wrong-token", ""], ids=["missing", "wrong", "empty"])
async def test_missing_or_wrong_token_is_190_with_401(start_simulator, client, token):
    running = await start_simulator()
    answer = await post_message(client, running, template_send(), token=token)
    assert (answer.status, answer.code) == (401, 190)
    assert answer.body["error"]["type"] == "OAuthException"
    assert "invalid_token" in answer.headers["WWW-Authenticate"]
    assert running.simulator.accepted == []


async def test_a_rotated_out_token_is_refused_and_the_new_one_works(start_simulator, client):
    running = await start_simulator(pair_interval_s=0)
    assert (await post_message(client, running, text_send())).status == 200
    running.simulator.set_access_token("rotated-token")
    old = await post_message(client, running, text_send(), token=TOKEN)
    assert (old.status, old.code, old.body["error"]["error_subcode"]) == (401, 190, 463)
    assert (await post_message(client, running, text_send(), token="rotated-token")).status == 200
    async with client.post(f"{running.url}/_sim/token", json={"access_token": "third"}) as r:
        assert r.status == 200
    assert (await post_message(client, running, text_send(), token="rotated-token")).code == 190
    assert (await post_message(client, running, text_send(), token="third")).status == 200


async def test_token_in_the_query_string_is_accepted_as_graph_does(start_simulator, client):
    running = await start_simulator()
    url = f"{running.url}/v24.0/{PHONE_NUMBER_ID}/messages?access_token={TOKEN}"
    async with client.post(url, json=text_send()) as response:
        assert response.status == 200


@pytest.mark.parametrize(
    ("payload", "status", "code"),
    [
        (template_send("no_such_template"), 404, 132001),
        (template_send(language="en"), 404, 132001),
        (template_send("paused_notice", components=[]), 400, 132015),
        (template_send("disabled_notice", components=[]), 400, 132016),
        (template_send(components=notice_components(body=("only one",))), 400, 132000),
        (template_send(components=notice_components(body=("a\nb", "c"))), 400, 132018),
        (template_send(components=notice_components(body=("a\tb", "c"))), 400, 132018),
        (template_send(components=notice_components(body=("a     b", "c"))), 400, 132018),
        (template_send(components=notice_components(header="")), 400, 131008),
        (text_send("x" * 4097), 400, 131009),
        (text_send(""), 400, 131009),
        (buttons_send([("a", "x" * 21)]), 400, 131009),
        (buttons_send([("a", "Same"), ("b", "Same")]), 400, 131009),
        (buttons_send([]), 400, 131009),
        ({**text_send(), "messaging_product": "sms"}, 400, 100),
        ({**text_send(), "to": "not-a-number"}, 400, 131009),
    ],
    ids=[
        "unknown-template",
        "wrong-language",
        "paused",
        "disabled",
        "param-count",
        "newline",
        "tab",
        "five-spaces",
        "empty-text",
        "text-too-long",
        "text-empty",
        "button-title-too-long",
        "button-titles-not-unique",
        "no-buttons",
        "messaging-product",
        "bad-recipient",
    ],
)
async def test_invalid_sends_get_graph_errors_and_are_not_accepted(
    start_simulator, client, payload, status, code
):
    running = await start_simulator()
    answer = await post_message(client, running, payload)
    assert (answer.status, answer.code) == (status, code)
    error = answer.body["error"]
    assert error["message"].startswith(f"(#{code})")
    assert error["error_data"]["messaging_product"] == "whatsapp"
    assert error["error_data"]["details"]
    assert running.simulator.accepted == []
    assert running.simulator.report()["errors"] == {str(code): 1}


@pytest.mark.parametrize("raw", [b"{not json", b"", b"[1, 2]"])
async def test_malformed_json_is_error_100(start_simulator, client, raw):
    running = await start_simulator()
    answer = await post_message(client, running, raw)
    assert (answer.status, answer.code) == (400, 100)


async def test_unknown_phone_number_id_is_graph_method_exception(start_simulator, client):
    running = await start_simulator()
    answer = await post_message(client, running, text_send(), phone_number_id="999")
    assert (answer.status, answer.code) == (400, 100)
    assert answer.body["error"]["type"] == "GraphMethodException"
    assert answer.body["error"]["error_subcode"] == 33
    assert "Object with ID '999' does not exist" in answer.body["error"]["message"]
    too_new = await post_message(client, running, text_send(), version="v99.0")
    assert (too_new.status, too_new.code) == (400, 100)
    assert (await post_message(client, running, text_send(), version="v17.0")).status == 200


async def _flood(client, running, count: int, **kwargs) -> list[int | None]:
    sends = [
        post_message(client, running, text_send(to=f"62812{n:08d}"), **kwargs) for n in range(count)
    ]
    return [a.status if a.status == 200 else a.code for a in await asyncio.gather(*sends)]


@pytest.mark.parametrize("http_status", [400, 429])
async def test_throughput_cap_refuses_excess_with_130429(start_simulator, client, http_status):
    running = await start_simulator(messages_per_second=10, throttle_http_status=http_status)
    connector = aiohttp.TCPConnector(limit=100)
    async with aiohttp.ClientSession(connector=connector) as burst_client:
        outcomes = await _flood(burst_client, running, 100)
    accepted = outcomes.count(200)
    assert accepted + outcomes.count(130429) == 100
    assert outcomes.count(130429) > 0
    sim = running.simulator
    assert len(sim.accepted) == accepted
    assert sim.max_in_window(PHONE_NUMBER_ID) <= 10
    assert sim.report()["errors"] == {"130429": 100 - accepted}
    answer = await post_message(client, running, text_send(to="6289999999999"))
    if answer.status != 200:  # same window still full: the status matches the config
        assert (answer.status, answer.code) == (http_status, 130429)


async def test_inbound_messages_count_against_throughput(start_simulator, client):
    running = await start_simulator(messages_per_second=3)
    started = time.monotonic()
    for n in range(3):
        await running.simulator.inject_inbound(f"62813{n:08d}", text="halo")
    answer = await post_message(client, running, text_send())
    if time.monotonic() - started >= 1.0:
        pytest.skip("machine too slow: the 1 s window moved on")
    assert answer.code == 130429


async def test_pair_limit_refuses_the_same_recipient_with_131056(start_simulator, client):
    running = await start_simulator(pair_interval_s=60.0, pair_burst=2)
    outcomes = [await post_message(client, running, text_send()) for _ in range(3)]
    assert [a.status for a in outcomes] == [200, 200, 400]
    assert outcomes[2].code == 131056
    assert (await post_message(client, running, text_send(to="6289876543210"))).status == 200
    assert len(running.simulator.accepted) == 3


async def test_pair_limit_can_be_disabled(start_simulator, client):
    running = await start_simulator(pair_interval_s=0)
    outcomes = [await post_message(client, running, text_send()) for _ in range(5)]
    assert {a.status for a in outcomes} == {200}


async def test_mark_as_read_answers_success(start_simulator, client):
    running = await start_simulator()
    payload = {"messaging_product": "whatsapp", "status": "read", "message_id": "wamid.IN1"}
    answer = await post_message(client, running, payload)
    assert (answer.status, answer.body) == (200, {"success": True})
    assert running.simulator.accepted == []
    assert running.simulator.report()["marked_read"] == 1


async def test_templates_listing_pages_through_the_catalog(start_simulator: StartSimulator, client):
    running = await start_simulator()
    base = f"{running.url}/v24.0/{running.simulator.config.waba_id}/message_templates"
    status, page = await get_json(client, f"{base}?limit=2&status=APPROVED")
    assert status == 200
    names = [t["name"] for t in page["data"]]
    while "next" in page["paging"]:
        status, page = await get_json(client, page["paging"]["next"])
        names += [t["name"] for t in page["data"]]
    assert names == ["outage_notice_v1", "outage_notice_v1", "voucher_v1", "eta_named"]
    status, one = await get_json(client, f"{base}?name=outage_notice&fields=name,language")
    assert [(t["name"], t["language"]) for t in one["data"]] == [
        ("outage_notice_v1", "id"),
        ("outage_notice_v1", "en_US"),
    ]
    assert set(one["data"][0]) == {"name", "language", "id"}
    _, full = await get_json(client, f"{base}?name=outage_notice_v1&limit=1")
    item = full["data"][0]
    assert (item["status"], item["category"], item["parameter_format"]) == (
        "APPROVED",
        "UTILITY",
        "POSITIONAL",
    )
    assert [c["type"] for c in item["components"]] == ["HEADER", "BODY", "FOOTER", "BUTTONS"]
    assert (await get_json(client, base, token=None))[1]["error"]["code"] == 190
    status, wrong = await get_json(client, f"{running.url}/v24.0/123/message_templates")
    assert (status, wrong["error"]["code"], wrong["error"]["error_subcode"]) == (400, 100, 33)


async def test_phone_number_node_reports_throughput_and_quality(start_simulator, client):
    running = await start_simulator()
    url = f"{running.url}/v24.0/{PHONE_NUMBER_ID}?fields=throughput,quality_rating"
    status, node = await get_json(client, url)
    assert status == 200
    assert node == {
        "throughput": {"level": "STANDARD"},
        "quality_rating": "GREEN",
        "id": PHONE_NUMBER_ID,
    }


async def test_unknown_graph_paths_answer_a_graph_error(start_simulator, client):
    running = await start_simulator()
    status, body = await get_json(client, f"{running.url}/v24.0/{PHONE_NUMBER_ID}/media/x")
    assert (status, body["error"]["code"]) == (400, 2500)
