"""The control plane, the report, /metrics (checked by promtool) and the standalone process."""

from __future__ import annotations

import asyncio
import shutil
import signal
import sys
from asyncio.subprocess import DEVNULL, PIPE

import aiohttp
import pytest

from broadcaster.embedded_redis import free_port
from tests.simulator.conftest import PHONE_NUMBER_ID, TOKEN, post_message
from tests.simulator.templates import template_send, text_send


async def test_report_counts_everything_seen(start_simulator, client, receiver):
    running = await start_simulator(webhook_url=receiver.url, read_ratio=1.0)
    sim = running.simulator
    for n in range(3):
        await post_message(client, running, template_send(to=f"62812{n:08d}"))
    await post_message(client, running, template_send("no_such_template"))
    await post_message(client, running, text_send(), token="bad")
    await sim.inject_inbound("6281200000000", text="STOP")
    await sim.wait_webhooks_idle()
    async with client.get(f"{running.url}/_sim/report?messages=1") as response:
        report = await response.json()
    assert report["accepted"] == 3
    assert report["accepted_by_type"] == {"template": 3}
    assert report["accepted_by_template"] == {"outage_notice_v1/id": 3}
    assert report["accepted_by_phone_number_id"] == {PHONE_NUMBER_ID: 3}
    assert report["errors"] == {"190": 1, "132001": 1}
    assert report["statuses"] == {"sent": 3, "delivered": 3, "read": 3}
    assert report["requests"] == {"messages": 5}
    assert report["inbound"] == {"injected": 1, "by_type": {"text": 1}}
    assert 1 <= report["max_in_window_1s"][PHONE_NUMBER_ID] <= 3
    assert report["max_in_window_1s"][PHONE_NUMBER_ID] == sim.max_in_window(PHONE_NUMBER_ID)
    assert report["webhooks"]["statuses_posted"] == 9
    assert report["webhooks"]["inbound_posted"] == 1
    assert [m["wamid"] for m in report["messages"]] == [m.wamid for m in sim.accepted]
    assert report["messages"][0]["statuses"] == ["sent", "delivered", "read"]
    assert "messages" not in sim.report()


async def test_max_in_window_measures_any_window(start_simulator, client):
    running = await start_simulator()
    for n in range(4):
        await post_message(client, running, template_send(to=f"62812{n:08d}"))
    sim = running.simulator
    assert sim.max_in_window(PHONE_NUMBER_ID, 3600.0) == 4
    assert 1 <= sim.max_in_window(PHONE_NUMBER_ID, 1.0) <= 4
    assert sim.max_in_window("unknown") == 0


async def test_inbound_over_the_control_plane(start_simulator, client, receiver):
    running = await start_simulator(webhook_url=receiver.url)
    url = f"{running.url}/_sim/inbound"
    async with client.post(url, json={"from": "+6281234567890", "text": "Masih mati"}) as r:
        assert r.status == 200
        inbound_id = (await r.json())["id"]
    (message,) = receiver.messages()
    assert (message["id"], message["text"]["body"]) == (inbound_id, "Masih mati")
    for bad in (
        {"from": "+6281234567890"},
        {"from": "+6281234567890", "text": "a", "button_payload": "b"},
        {"from": "abc", "text": "a"},
        {"from": "+6281234567890", "text": 5},
        {"from": "+6281234567890", "text": "a", "phone_number_id": "999"},
        {"from": "+6281234567890", "text": "a", "colour": "red"},
    ):
        async with client.post(url, json=bad) as response:
            assert response.status == 400, bad
    async with client.post(url, data=b"not json") as response:
        assert response.status == 400


async def test_reset_restores_the_state_after_construction(start_simulator, client):
    running = await start_simulator(pair_interval_s=60.0)
    sim = running.simulator
    await post_message(client, running, text_send())
    sim.set_access_token("rotated")
    sim.faults.throttle_burst = 5
    async with client.post(f"{running.url}/_sim/reset") as response:
        assert response.status == 200
    assert sim.accepted == []
    assert sim.report()["requests"] == {}
    assert sim.faults.throttle_burst == 0
    assert sim.config.access_token == TOKEN
    assert (await post_message(client, running, text_send())).status == 200  # pair limit reset


async def test_healthz(start_simulator, client):
    running = await start_simulator()
    async with client.get(f"{running.url}/healthz") as response:
        assert (response.status, await response.json()) == (200, {"status": "ok"})


async def test_metrics_pass_promtool(start_simulator, client, receiver):
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool is not installed (make tools)")
    running = await start_simulator(webhook_url=receiver.url)
    sim = running.simulator
    await post_message(client, running, template_send())
    await post_message(client, running, template_send("no_such_template"))
    await sim.inject_inbound("6281200000000", text="halo")
    await sim.wait_webhooks_idle()
    async with client.get(f"{running.url}/metrics") as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain")
        text = await response.text()
    assert 'broadcaster_simulator_errors_total{code="132001"} 1.0' in text
    assert 'broadcaster_simulator_messages_accepted_total{type="template"} 1.0' in text
    assert 'broadcaster_simulator_inbound_messages_total{type="text"} 1.0' in text
    names = {line.split()[2] for line in text.splitlines() if line.startswith("# TYPE")}
    assert all(name.startswith("broadcaster_simulator_") for name in names)
    checker = await asyncio.create_subprocess_exec(
        promtool, "check", "metrics", stdin=PIPE, stdout=PIPE, stderr=PIPE
    )
    out, err = await checker.communicate(text.encode())
    assert (checker.returncode, out, err) == (0, b"", b"")


async def test_standalone_process_serves_and_stops_on_sigterm(client):
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "broadcaster.simulator",
        "--port",
        str(port),
        "--log-level",
        "WARNING",
        stdout=DEVNULL,
        stderr=DEVNULL,
    )
    try:
        for _ in range(200):
            try:
                async with client.get(f"http://127.0.0.1:{port}/healthz") as response:
                    if response.status == 200:
                        break
            except aiohttp.ClientConnectionError:
                await asyncio.sleep(0.05)
        else:
            pytest.fail("the simulator process did not start")
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), timeout=10) == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
