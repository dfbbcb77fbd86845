"""Polls against fake status and Alertmanager APIs served over real HTTP."""

from __future__ import annotations

import copy
import dataclasses
from functools import partial
from typing import Any

import pytest
from aiohttp import web

from broadcaster.adapters.feeds import FeedError, fetch
from broadcaster.domain.incidents import Status
from broadcaster.domain.signals import Outcome
from broadcaster.metrics import REGISTRY
from broadcaster.services.feed_polls import poll_statuspage, reconcile_alertmanager
from broadcaster.worker import poll_statuspage_job, reconcile_alertmanager_job
from tests.intake.conftest import AM_TOKEN, payload, post


class FakeFeeds:
    """A status page's public API and an Alertmanager API, with answers the test sets."""

    def __init__(self) -> None:
        self.unresolved: dict[str, Any] = {"page": {"id": "x7k2p9q4r1zt"}, "incidents": []}
        self.recent: dict[str, Any] = {"page": {"id": "x7k2p9q4r1zt"}, "incidents": []}
        self.alerts: list[dict[str, Any]] = []
        self.status = 200
        self.requests: list[str] = []

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get(
            "/api/v2/incidents/unresolved.json", self._answer(lambda: self.unresolved)
        )
        app.router.add_get("/api/v2/incidents.json", self._answer(lambda: self.recent))
        app.router.add_get("/api/v2/alerts", self._answer(lambda: self.alerts))
        return app

    def _answer(self, body: Any) -> Any:
        async def handler(request: web.Request) -> web.Response:
            self.requests.append(request.path_qs)
            return web.json_response(body(), status=self.status)

        return handler


@pytest.fixture
async def feeds(aiohttp_server: Any) -> Any:
    fake = FakeFeeds()
    server = await aiohttp_server(fake.app())
    fake.url = str(server.make_url("/api/v2"))  # type: ignore[attr-defined]
    fake.base = str(server.make_url(""))  # type: ignore[attr-defined]
    return fake


def incident(status: str = "identified", **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = copy.deepcopy(payload("statuspage_incidents.json")["incidents"][0])
    data["status"] = status
    data.update(changes)
    return data


async def statuses(deps: Any) -> list[Status]:
    return [i.status for i in await deps.incident_store.newest()]


async def test_an_unresolved_incident_is_declared_and_its_resolution_found_in_the_sweep(
    feeds, intake, deps, clock
):
    get = partial(fetch, deps.http)
    feeds.unresolved["incidents"] = [incident()]
    receipt = await poll_statuspage(intake, get, feeds.url)
    assert receipt.outcomes[Outcome.NEW] == 1
    await intake.evaluate_due()
    assert await statuses(deps) == [Status.PENDING]  # no segment maps its components
    again = await poll_statuspage(intake, get, feeds.url)
    assert again.outcomes[Outcome.DUPLICATE] == 1
    assert feeds.requests == ["/api/v2/incidents/unresolved.json"] * 2
    feeds.unresolved["incidents"] = []
    feeds.recent["incidents"] = [incident("resolved", resolved_at="2026-11-24T03:39:00Z")]
    await poll_statuspage(intake, get, feeds.url)
    assert feeds.requests[-1] == "/api/v2/incidents.json"
    clock.advance(minutes=5)
    await intake.evaluate_due()
    (resolved,) = await deps.incident_store.newest()
    assert resolved.status is Status.RESOLVED
    assert resolved.resolved_at.isoformat() == "2026-11-24T03:39:00+00:00"


async def test_an_incident_deleted_from_the_page_is_resolved_when_it_vanishes(
    feeds, intake, deps, clock
):
    get = partial(fetch, deps.http)
    feeds.unresolved["incidents"] = [incident(impact="critical")]
    await poll_statuspage(intake, get, feeds.url)
    await intake.evaluate_due()
    feeds.unresolved["incidents"] = []
    vanished_at = clock.advance(minutes=1)
    await poll_statuspage(intake, get, feeds.url)
    clock.advance(minutes=5)
    await intake.evaluate_due()
    (resolved,) = await deps.incident_store.newest()
    assert resolved.status is Status.RESOLVED
    assert resolved.resolved_at == vanished_at


async def test_a_sweep_catches_an_incident_missed_and_leaves_old_ones_alone(feeds, intake, deps):
    get = partial(fetch, deps.http)
    old = incident("resolved", id="old000000001", resolved_at="2026-11-01T00:00:00Z")
    feeds.recent["incidents"] = [incident(), old]
    receipt = await poll_statuspage(intake, get, feeds.url, sweep=True)
    assert receipt.outcomes[Outcome.NEW] == 1
    assert len(await intake.store.tracked()) == 1


async def test_a_failing_feed_is_counted_and_the_poll_tried_again_next_time(feeds, intake, deps):
    feeds.status = 500

    def errors() -> float:
        labels = {"feed": "statuspage", "outcome": "error"}
        return REGISTRY.get_sample_value("broadcaster_intake_polls_total", labels) or 0.0

    before = errors()
    deps = configured(deps, "statuspage", api_url=feeds.url)
    assert await poll_statuspage_job({"deps": deps, "intake": intake}) == -1
    assert errors() == before + 1
    with pytest.raises(FeedError, match="HTTP 500"):
        await fetch(deps.http, feeds.url + "/incidents.json")
    with pytest.raises(FeedError, match="ClientConnectorError"):
        await fetch(deps.http, "http://127.0.0.1:9/nothing")


async def test_alertmanager_reconciliation_resolves_alerts_it_no_longer_lists(
    hooks, feeds, intake, deps, clock
):
    body = payload("alertmanager_firing.json")
    for alert in body["alerts"]:
        alert["startsAt"] = "2026-11-24T03:37:00Z"
    await post(hooks, "/webhooks/alertmanager", body, {"Authorization": f"Bearer {AM_TOKEN}"})
    await intake.evaluate_due()
    assert await statuses(deps) == [Status.INVESTIGATING, Status.INVESTIGATING]
    # eu-west-1 was silenced and then resolved: Alertmanager never said so, its API does
    feeds.alerts = [{"fingerprint": "ec82ef90f87b7d83", "status": {"state": "active"}}]
    receipt = await reconcile_alertmanager(intake, partial(fetch, deps.http), feeds.base)
    assert receipt.outcomes[Outcome.NEW] == 1
    assert feeds.requests == [
        "/api/v2/alerts?active=true&silenced=true&inhibited=true&unprocessed=true"
    ]
    clock.advance(minutes=5)
    await intake.evaluate_due()
    by_region = {i.labels["region"]: i.status for i in await deps.incident_store.newest()}
    assert by_region == {"eu-west-1": Status.RESOLVED, "us-east-1": Status.INVESTIGATING}


async def test_the_reconcile_job_counts_its_polls(feeds, intake, deps):
    labels = {"feed": "alertmanager", "outcome": "ok"}
    before = REGISTRY.get_sample_value("broadcaster_intake_polls_total", labels) or 0.0
    deps = configured(deps, "alertmanager", api_url=feeds.base)
    assert await reconcile_alertmanager_job({"deps": deps, "intake": intake}) == 0
    assert REGISTRY.get_sample_value("broadcaster_intake_polls_total", labels) == before + 1


def configured(deps: Any, section: str, **changes: Any) -> Any:
    """``deps`` with settings.intake.<section> changed."""
    settings = deps.settings
    part = dataclasses.replace(getattr(settings.intake, section), **changes)
    intake = dataclasses.replace(settings.intake, **{section: part})
    return dataclasses.replace(deps, settings=dataclasses.replace(settings, intake=intake))
