"""Injected faults over real HTTP: 5xx, lost responses, slow answers, forced throttling."""

from __future__ import annotations

import asyncio
import contextlib

import aiohttp
import pytest

from tests.simulator.conftest import PHONE_NUMBER_ID, TOKEN, post_message
from tests.simulator.templates import template_send, text_send


async def test_5xx_faults_are_not_accepted_and_send_no_webhooks(start_simulator, client, receiver):
    running = await start_simulator(webhook_url=receiver.url)
    running.simulator.faults.error_5xx_ratio = 1.0
    answers = [await post_message(client, running, template_send()) for _ in range(12)]
    assert {(a.status, a.code) for a in answers} == {(500, 131000), (503, 131016)}
    sim = running.simulator
    assert sim.accepted == []
    await sim.wait_webhooks_idle()
    assert receiver.bodies == []
    assert sim.report()["faults"] == {"error_5xx": 12}


async def test_a_dropped_response_still_delivers_the_message(start_simulator, client, receiver):
    running = await start_simulator(webhook_url=receiver.url, read_ratio=0.0)
    running.simulator.faults.drop_ratio = 1.0
    url = f"{running.url}/v24.0/{PHONE_NUMBER_ID}/messages"
    headers = {"Authorization": f"Bearer {TOKEN}"}
    payload = template_send(biz_opaque_callback_data="b7:c1")
    with pytest.raises((aiohttp.ServerDisconnectedError, aiohttp.ClientOSError)):
        async with client.post(url, json=payload, headers=headers) as response:
            await response.read()
    sim = running.simulator
    (message,) = sim.accepted
    assert message.response_dropped
    await sim.wait_webhooks_idle()
    assert sorted(receiver.statuses_of(message.wamid)) == ["delivered", "sent"]
    assert {s["biz_opaque_callback_data"] for s in receiver.statuses()} == {"b7:c1"}
    assert sim.report()["responses_dropped"] == 1


async def test_a_slow_answer_is_accepted_before_the_client_hears(start_simulator, client):
    running = await start_simulator()
    sim = running.simulator
    sim.faults.slow_ratio = 1.0
    sim.faults.slow_delay_s = 5.0
    request = asyncio.create_task(post_message(client, running, text_send()))
    for _ in range(1000):
        if sim.accepted:
            break
        await asyncio.sleep(0.005)
    assert not request.done()  # a client timing out now would not know it was sent
    request.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await request
    assert sim.report()["faults"] == {"slow": 1}


async def test_slow_answers_arrive_when_the_client_waits(start_simulator, client):
    running = await start_simulator()
    running.simulator.faults.slow_ratio = 1.0
    running.simulator.faults.slow_delay_s = 0.01
    answer = await post_message(client, running, text_send())
    assert answer.status == 200
    assert running.simulator.report()["faults"] == {"slow": 1}


async def test_a_throttle_burst_refuses_the_next_n_sends(start_simulator, client):
    running = await start_simulator(pair_interval_s=0)
    running.simulator.faults.throttle_burst = 2
    answers = [await post_message(client, running, text_send()) for _ in range(3)]
    assert [(a.status, a.code) for a in answers] == [(400, 130429), (400, 130429), (200, None)]
    assert running.simulator.faults.throttle_burst == 0
    assert len(running.simulator.accepted) == 1


async def test_faults_switch_at_run_time_over_the_control_plane(start_simulator, client):
    running = await start_simulator(pair_interval_s=0)
    faults_url = f"{running.url}/_sim/faults"
    async with client.post(faults_url, json={"error_5xx_ratio": 1}) as response:
        assert response.status == 200
        assert (await response.json())["error_5xx_ratio"] == 1.0
    assert (await post_message(client, running, text_send())).status in (500, 503)
    async with client.post(faults_url, json={"error_5xx_ratio": 0, "throttle_burst": 1}) as r:
        assert r.status == 200
    assert (await post_message(client, running, text_send())).code == 130429
    assert (await post_message(client, running, text_send())).status == 200
    async with client.post(faults_url, json={"drop_ratio": 2}) as response:
        assert response.status == 400
        assert "drop_ratio" in (await response.json())["error"]
    async with client.get(faults_url) as response:
        assert (await response.json())["drop_ratio"] == 0.0
