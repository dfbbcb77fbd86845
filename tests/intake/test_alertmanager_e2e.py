"""The real Alertmanager (Debian's prometheus-alertmanager) in front of the real server and worker.

An alert injected through Alertmanager's API reaches ``/webhooks/alertmanager`` as its webhook
notification; the arq worker declares the incident once the alert has fired for fire_for.
Ending the alert makes Alertmanager send "resolved", and the incident resolves after
resolve_after. Intervals are shortened so that the whole story takes seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import subprocess
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
import pytest
from aiohttp import web

from broadcaster.bootstrap import build_deps
from broadcaster.config import Settings
from broadcaster.domain.incidents import Incident, Status
from broadcaster.domain.timefmt import format_rfc3339
from broadcaster.embedded_redis import free_port, stop_process
from broadcaster.web.app import create_app
from broadcaster.worker import create_worker
from tests.intake.conftest import AM_TOKEN, intake_overrides

pytestmark = [
    pytest.mark.slow,
    # arq's Worker.close() calls redis-py's deprecated close(); not ours to change
    pytest.mark.filterwarnings("ignore:Call to deprecated close:DeprecationWarning"),
]
ALERTMANAGER = "prometheus-alertmanager"
T = TypeVar("T")


ALERTMANAGER_CONFIG = """
route:
  receiver: broadcaster
  group_by: [alertname, service, region]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: broadcaster
    webhook_configs:
      - url: http://127.0.0.1:{port}/webhooks/alertmanager
        send_resolved: true
        http_config:
          authorization:
            type: Bearer
            credentials: {token}
"""


@contextlib.contextmanager
def alertmanager(tmp_path: Path, receiver_port: int) -> Iterator[str]:
    """A private Alertmanager on a free port, gossip off, posting to ``receiver_port``."""
    binary = shutil.which(ALERTMANAGER)
    assert binary, f"{ALERTMANAGER} is not on PATH: run `make tools` (Debian package)"
    config = tmp_path / "alertmanager.yml"
    config.write_text(ALERTMANAGER_CONFIG.format(port=receiver_port, token=AM_TOKEN))
    port = free_port()
    process = subprocess.Popen(
        [
            binary,
            f"--config.file={config}",
            f"--storage.path={tmp_path / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address=",
            "--log.level=warn",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_process(process, grace=10)
        if process.stderr is not None:
            process.stderr.close()


async def eventually(probe: Callable[[], Awaitable[T | None]], what: str, limit: float = 60) -> T:
    """Poll ``probe`` until it returns something (bounded, so a broken run fails, not hangs)."""
    last = None
    for _ in range(int(limit / 0.2)):
        last = await probe()
        if last:
            return last
        await asyncio.sleep(0.2)
    raise AssertionError(f"never happened: {what} (last: {last!r})")


@pytest.fixture
def e2e_settings(make_settings: Callable[..., Settings], redis_url: str) -> Settings:
    overrides = intake_overrides(redis_url)
    overrides["intake"].update(
        fire_for="1s", resolve_after="2s", reopen_cooldown="1m", evaluate_every="1s"
    )
    overrides["worker"] = {"metrics_port": 0, "poll_delay": "50ms"}
    overrides["http"] = {"port": free_port()}
    return make_settings(overrides)


@pytest.fixture
async def running(e2e_settings: Settings, redis_url: str) -> AsyncIterator[Any]:
    """``broadcaster serve`` on a real socket and a ``broadcaster worker``, in this process."""
    async with build_deps(e2e_settings, redis_url) as deps:
        runner = web.AppRunner(create_app(deps), access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", e2e_settings.http.port).start()
        worker = create_worker(e2e_settings, redis_url, handle_signals=False)
        task = asyncio.create_task(worker.async_run())
        try:
            yield deps
        finally:
            await worker.close()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            await runner.cleanup()


async def post_alerts(session: aiohttp.ClientSession, url: str, alerts: list[Any]) -> None:
    async with session.post(f"{url}/api/v2/alerts", json=alerts) as response:
        assert response.status == 200, await response.text()


def alert(region: str, severity: str, ends: datetime | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "labels": {
            "alertname": "FibreDown",
            "service": "fiber",
            "region": region,
            "severity": severity,
        },
        "annotations": {"customer_impact": f"No internet on fibre in {region}"},
        "generatorURL": "http://prometheus.example/graph",
    }
    if ends is not None:
        body["endsAt"] = format_rfc3339(ends)
    return body


async def test_alertmanager_alerts_declare_and_resolve_incidents(running, e2e_settings, tmp_path):
    deps = running
    with alertmanager(tmp_path, e2e_settings.http.port) as url:
        async with aiohttp.ClientSession() as session:
            await eventually(lambda: _ready(session, url), "Alertmanager ready")
            await post_alerts(
                session, url, [alert("jkt-selatan", "critical"), alert("bandung", "warning")]
            )

            async def both_declared() -> dict[str, Incident] | None:
                found = {i.labels["region"]: i for i in await deps.incident_store.newest()}
                return found if len(found) == 2 else None

            declared = await eventually(both_declared, "two incidents declared")
            critical, warning = declared["jkt-selatan"], declared["bandung"]
            assert critical.status is Status.INVESTIGATING  # critical: auto
            assert critical.source == "alertmanager"
            assert critical.title == "No internet on fibre in jkt-selatan"
            assert critical.segments == ("fiber",)
            assert warning.status is Status.PENDING  # warning: waits for a commander

            ended = datetime.now(UTC)
            await post_alerts(
                session,
                url,
                [alert("jkt-selatan", "critical", ended), alert("bandung", "warning", ended)],
            )

            async def both_resolved() -> list[Incident] | None:
                found = await deps.incident_store.newest()
                return found if all(i.status is Status.RESOLVED for i in found) else None

            resolved = await eventually(both_resolved, "both incidents resolved")
    assert {i.id for i in resolved} == {critical.id, warning.id}
    for incident in resolved:
        assert incident.resolved_at is not None
        assert incident.resolved_at >= incident.started_at
    actions = {
        i.labels["region"]: [a["action"] for a in await deps.incident_store.audit(i.id)]
        for i in resolved
    }
    # the live one had its notice planned (to nobody: there are no customers here)
    assert actions == {
        "jkt-selatan": ["declare", "notice planned", "resolve"],
        "bandung": ["declare", "resolve"],
    }
    response = await deps.http.get(
        f"http://127.0.0.1:{e2e_settings.http.port}/api/v1/incidents/{critical.id}",
        headers={"Authorization": "Bearer test-bootstrap-token"},
    )
    shown = await response.json()
    assert [s["state"] for s in shown["signals"]] == ["resolved", "firing"]


async def _ready(session: aiohttp.ClientSession, url: str) -> bool:
    try:
        async with session.get(f"{url}/-/ready") as response:
            return response.status == 200
    except aiohttp.ClientError:
        return False
