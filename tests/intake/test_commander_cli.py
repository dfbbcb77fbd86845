"""An incident's whole life from the ``broadcaster incident`` verbs, against a running server.

The server listens on a real socket; each CLI call is ``broadcaster.__main__.main`` with its
own event loop in a thread, reading the API's URL and token from the environment as it would
on an operator's machine.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from broadcaster.__main__ import main
from tests.conftest import REPO
from tests.e2e.server import serving
from tests.intake.conftest import AM_TOKEN, COMMANDER_TOKEN, post
from tests.intake.test_flow import alert_body


@pytest.fixture
def quiet_logging() -> Iterator[None]:
    """main() routes the root logger to stderr; put the test run's logging back afterwards."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.fixture
async def server(deps: Any, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[str]:
    async with serving(deps) as url:
        monkeypatch.setenv("BROADCASTER_API__URL", url)
        monkeypatch.setenv("BROADCASTER_API__TOKEN", COMMANDER_TOKEN)
        yield url


class Cli:
    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        self.capsys = capsys

    async def __call__(self, *argv: str, expect: int = 0) -> str:
        args = ["--config", str(REPO / "config.toml"), *argv]
        code = await asyncio.to_thread(main, args)
        out, err = self.capsys.readouterr()
        assert code == expect, f"{argv}: exit {code}\n{out}\n{err}"
        return out if code == 0 else err

    async def json(self, *argv: str) -> Any:
        return json.loads(await self(*argv, "--json"))


@pytest.fixture
def cli(server: str, capsys: pytest.CaptureFixture[str], quiet_logging: None) -> Cli:
    return Cli(capsys)


async def test_a_commanders_whole_incident_life_from_the_cli(cli):
    declared = await cli.json(
        "incident", "declare", "--title", "Fibre cut in South Jakarta", "--segment", "fiber",
        "--severity", "critical", "--eta", "+2h", "--label", "region=jkt-selatan",
    )  # fmt: skip
    incident_id = declared["id"]
    assert declared["status"] == "investigating"
    assert declared["labels"] == {"region": "jkt-selatan"}

    listing = await cli("incident", "list")
    assert listing.splitlines()[0].split() == [
        "ID",
        "STATUS",
        "SEVERITY",
        "TITLE",
        "STARTED_AT",
        "ETA",
    ]
    assert f"{incident_id}  investigating  critical" in listing

    identified = await cli(
        "incident", "update", incident_id, "--status", "identified", "--note", "crew on site"
    )
    assert "identified" in identified
    later = await cli.json("incident", "update", incident_id, "--eta", "+3h")
    assert later["eta"] > declared["eta"]

    refused = await cli("incident", "confirm", incident_id, expect=2)
    assert f"409: incident {incident_id} is identified, only a pending one is confirmed" in refused

    await cli("incident", "update", incident_id, "--status", "monitoring")
    resolved = await cli.json("incident", "resolve", incident_id, "--note", "splice repaired")
    assert resolved["status"] == "resolved"
    assert resolved["note"] == "splice repaired"
    again = await cli("incident", "resolve", incident_id, expect=2)
    assert f"409: incident {incident_id} is already resolved" in again

    shown = await cli("incident", "show", incident_id)
    assert "resolved" in shown
    audit = [line.split()[1:4] for line in shown.splitlines() if " carol " in line]
    assert [row[2] for row in audit] == ["declare", "update", "update", "update", "resolve"]
    assert {row[1] for row in audit} == {"api"}

    done = await cli.json("incident", "list", "--status", "resolved")
    assert [i["id"] for i in done] == [incident_id]


async def test_pending_intake_incidents_are_confirmed_or_cancelled_from_the_cli(
    cli, api, intake, clock
):
    api.session.headers.pop("Authorization")
    hook = {"Authorization": f"Bearer {AM_TOKEN}"}
    for fingerprint, region in (("fp1", "jkt-selatan"), ("fp2", "bandung")):
        body = alert_body(fingerprint, clock(), {"region": region, "severity": "warning"})
        assert (await post(api, "/webhooks/alertmanager", body, hook)).status == 202
    clock.advance(minutes=2)
    await intake.evaluate_due()
    pending = {i["labels"]["region"]: i for i in await cli.json("incident", "list")}
    assert {i["status"] for i in pending.values()} == {"pending"}

    confirmed = await cli.json("incident", "confirm", pending["jkt-selatan"]["id"])
    assert confirmed["status"] == "investigating"
    cancelled = await cli.json(
        "incident", "cancel", pending["bandung"]["id"], "--note", "probe glitch"
    )
    assert cancelled["status"] == "cancelled"

    shown = await cli("incident", "show", pending["jkt-selatan"]["id"])
    assert "intake" in shown  # who declared it
    assert "firing" in shown  # the signal that did


async def test_a_hold_the_probe_cannot_verify_is_shown_and_resumed_by_an_operator(cli, deps):
    assert (await cli("sending", "status")).strip() == "sending: not held"
    await deps.holds.set("token", 190, "2026-12-06T09:00:00Z")
    assert "lifts by itself once the token works again" in await cli("sending", "status")
    await deps.holds.clear()

    await deps.holds.set("payment", 131042, "2026-12-06T09:00:00Z")
    status = await cli("sending", "status")
    assert "HELD since 2026-12-06T09:00:00Z, payment (131042)" in status
    assert "broadcaster sending resume" in status
    view = await cli.json("sending", "status")
    assert view["hold"]["lifted_by"] == "operator"

    assert "sending resumed" in await cli("sending", "resume")
    assert await deps.holds.get() is None
    refused = await cli("sending", "resume", expect=2)
    assert "not held" in refused
