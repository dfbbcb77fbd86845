"""Our Cloud API client against the simulator: every classified outcome comes from the wire."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from broadcaster.adapters.whatsapp import (
    CloudApi,
    SendFailed,
    interactive_payload,
    template_payload,
    text_payload,
)
from broadcaster.domain.send_errors import Action
from broadcaster.domain.templates import Category, Kind, MessageTemplate, RenderedMessage
from broadcaster.embedded_redis import free_port
from broadcaster.simulator import (
    ApprovedTemplate,
    Faults,
    RunningSimulator,
    SimulatorConfig,
    run_simulator,
)
from broadcaster.typed_config import Secret

NUMBER = "1000000000001"
NOTICE = MessageTemplate(
    kind=Kind.NOTICE,
    language="id",
    name="outage_notice",
    code="id",
    category=Category.UTILITY,
    body="Halo {{1}}, pulih {{2}}",
    body_params=("a", "b"),
)


def message(*body: str, template: MessageTemplate = NOTICE) -> RenderedMessage:
    return RenderedMessage(template, (), tuple(body), ())


@pytest.fixture
async def sim() -> AsyncIterator[RunningSimulator]:
    config = SimulatorConfig(
        templates=(ApprovedTemplate("outage_notice", "id", body_text="Halo {{1}}, pulih {{2}}"),),
        pair_interval_s=0,
    )
    async with run_simulator(config) as running:
        yield running


@pytest.fixture
async def client(sim: RunningSimulator) -> AsyncIterator[CloudApi]:
    async with aiohttp.ClientSession() as session:
        yield CloudApi(
            session, sim.url, "v24.0", Secret(sim.simulator.config.access_token), timeout=2
        )


async def failure(client: CloudApi, payload: dict[str, Any]) -> SendFailed:
    with pytest.raises(SendFailed) as caught:
        await client.send(NUMBER, payload)
    return caught.value


async def test_an_accepted_template_returns_its_message_id(client, sim):
    accepted = await client.send(
        NUMBER, template_payload("6281234567890", message("Siti", "14:30"), "b|1|1")
    )
    assert accepted.wamid.startswith("wamid.")
    assert accepted.wa_id == "6281234567890"
    assert sim.simulator.accepted[0].biz_opaque_callback_data == "b|1|1"


async def test_a_bad_token_holds_the_account(client, sim):
    sim.simulator.set_access_token("rotated")
    error = await failure(client, template_payload("6281234567890", message("a", "b"), "x"))
    assert (error.code, error.verdict.action) == (190, Action.PAUSE_ACCOUNT)
    assert error.http_status == 401
    assert not await client.check_token(NUMBER)


async def test_template_problems_pause_the_broadcast(client):
    english = dataclasses.replace(NOTICE, language="en", code="en_US")
    wrong_language = RenderedMessage(english, (), ("a", "b"), ())
    error = await failure(client, template_payload("6281234567890", wrong_language, "x"))
    assert (error.code, error.verdict.action) == (132001, Action.PAUSE_BROADCAST)
    error = await failure(client, template_payload("6281234567890", message("only one"), "x"))
    assert (error.code, error.verdict.action) == (132000, Action.PAUSE_BROADCAST)


async def test_parameter_format_and_invalid_bodies_fail_the_recipient(client):
    error = await failure(client, template_payload("6281234567890", message("a\nb", "c"), "x"))
    assert (error.code, error.verdict.action) == (132018, Action.FAIL)
    bad_text = text_payload("6281234567890", "", "x")
    error = await failure(client, bad_text)
    assert error.verdict.action is Action.FAIL
    assert error.code in (131009, 100)


async def test_throughput_and_pair_limits(client, sim):
    sim.simulator.config.messages_per_second = 1
    await client.send(NUMBER, template_payload("6281234567890", message("a", "b"), "x"))
    error = await failure(client, template_payload("6281234567891", message("a", "b"), "x"))
    assert (error.code, error.verdict.action) == (130429, Action.RETRY)
    sim.simulator.config.messages_per_second = 0
    sim.simulator.config.pair_interval_s = 60
    sim.simulator.config.pair_burst = 1  # Meta allows a burst of 45 first; refuse the 2nd here
    await client.send(NUMBER, template_payload("6281234567892", message("a", "b"), "x"))
    error = await failure(client, template_payload("6281234567892", message("a", "b"), "x"))
    assert (error.code, error.verdict.action) == (131056, Action.RESCHEDULE)


async def test_server_errors_and_dropped_answers_are_unknown_not_retried(client, sim):
    sim.simulator.config.faults = Faults(error_5xx_ratio=1.0)
    error = await failure(client, template_payload("6281234567890", message("a", "b"), "x"))
    assert error.verdict.action is Action.UNKNOWN
    assert not sim.simulator.accepted
    sim.simulator.config.faults = Faults(drop_ratio=1.0)
    error = await failure(client, template_payload("6281234567890", message("a", "b"), "x"))
    assert error.verdict.action is Action.UNKNOWN
    assert len(sim.simulator.accepted) == 1, "the dropped answer hid an accepted message"


async def test_a_refused_connection_is_definitely_not_sent():
    async with aiohttp.ClientSession() as session:
        api = CloudApi(session, f"http://127.0.0.1:{free_port()}", "v24.0", Secret("t"), timeout=2)
        with pytest.raises(SendFailed) as caught:
            await api.send(NUMBER, {"messaging_product": "whatsapp"})
    assert caught.value.verdict.action is Action.RETRY


async def test_interactive_buttons_inside_the_window(client, sim):
    await sim.simulator.inject_inbound("6281234567890", text="halo")
    payload = interactive_payload(
        "6281234567890",
        "Sudah normal?",
        [("FU:1:ok", "Sudah normal"), ("FU:1:down", "Masih rusak")],
        "x",
    )
    accepted = await client.send(NUMBER, payload)
    assert accepted.wamid
    assert sim.simulator.accepted[-1].type == "interactive"


async def test_templates_are_listed_across_pages(client, sim):
    sim.simulator.config.templates = tuple(
        ApprovedTemplate(f"t_{i}", "id", body_text="x") for i in range(150)
    )
    listed = await client.message_templates(sim.simulator.config.waba_id)
    assert len(listed) == 150
    assert await client.check_token(NUMBER)
