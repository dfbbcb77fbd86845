"""What an SRE gets from a running deployment: clean /metrics on both processes, a real
Prometheus scraping them with our rules loaded, and logs with no phone number or secret."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from broadcaster.__main__ import main
from broadcaster.demo import ALERTMANAGER_TOKEN, CUSTOMERS, settled
from broadcaster.demo_data import sample_customers
from broadcaster.embedded_redis import free_port
from broadcaster.local_stack import LOCAL_TOKEN
from broadcaster.simulator import SimulatorConfig
from tests.e2e.harness import LocalStack, running_stack
from tests.ops.monitoring import RULES, alert_rules, dashboard_exprs
from tests.ops.test_reference import FORBIDDEN_LABELS

_PHONE = re.compile(r"\+?\d{9,15}")
STATE_GAUGES = ("broadcaster_incidents", "broadcaster_broadcasts", "broadcaster_queue_depth")


@contextlib.asynccontextmanager
async def broadcast_sent(settings, redis_url) -> AsyncIterator[LocalStack]:
    """A stack whose notice went out, with a few undeliverable numbers for error series."""
    customers = sample_customers(120)
    sim = SimulatorConfig(undeliverable_numbers=frozenset({"628120000004", "628120000016"}))
    async with running_stack(settings, redis_url, sim, customers=customers) as stack:
        stack.start_worker()
        incident = await stack.call(
            "POST",
            "/api/v1/incidents",
            {"title": "Gangguan fiber", "segments": ["fiber"], "labels": {"region": "jkt-selatan"}},
        )
        await settled(stack, incident["id"], "notice")
        yield stack


async def scrape(session: aiohttp.ClientSession, url: str) -> str:
    async with session.get(url) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain")
        return await response.text()


def samples(exposition: str) -> list[tuple[str, dict[str, str], float]]:
    return [
        (s.name, s.labels, s.value)
        for family in text_string_to_metric_families(exposition)
        for s in family.samples
    ]


def promtool_check_metrics(exposition: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["promtool", "check", "metrics"],
        input=exposition,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def test_both_processes_serve_metrics_that_pass_promtool_and_name_nobody(settings, redis_url):
    async with broadcast_sent(settings, redis_url) as stack, aiohttp.ClientSession() as session:
        server = await scrape(session, f"{stack.api_url}/metrics")
        worker_port = stack.worker_metrics_port
        worker = await scrape(session, f"http://127.0.0.1:{worker_port}/metrics")

    for exposition in (server, worker):
        result = promtool_check_metrics(exposition)
        assert result.returncode == 0, result.stdout + result.stderr
        assert result.stdout == result.stderr == ""

    phones = {c.phone.removeprefix("+") for c in sample_customers(120)}
    ids = {c.customer_id for c in sample_customers(120)}
    for name, labels, _ in samples(server) + samples(worker):
        assert not set(labels) & FORBIDDEN_LABELS, name
        for value in labels.values():
            assert value.removeprefix("+") not in phones
            assert value not in ids
            if not name.startswith(("broadcaster_http_", "python_info")):
                assert not _PHONE.fullmatch(value), f"{name}{labels}"

    by_name = {(n, json.dumps(labels, sort_keys=True)): v for n, labels, v in samples(server)}
    assert by_name[("broadcaster_redis_up", "{}")] == 1
    assert by_name[("broadcaster_messages_total", '{"kind": "notice", "status": "delivered"}')] > 0
    assert by_name[("broadcaster_build_info", '{"commit": "unknown", "version": "0.1.0"}')] == 1
    worker_samples = {name: value for name, _, value in samples(worker)}
    assert worker_samples["broadcaster_worker_up"] == 1
    # shared state comes from the server alone; worker_up from workers alone
    assert not any(name in worker_samples for name in STATE_GAUGES)
    assert "broadcaster_worker_up" not in {name for name, _, _ in samples(server)}


# --- a real Prometheus ---------------------------------------------------------------------
@contextlib.contextmanager
def prometheus(tmp_path: Path, server_port: int, worker_port: int) -> Iterator[str]:
    """Debian's prometheus scraping both processes every second, with our alert rules."""
    port = free_port()
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(RULES)],
        "scrape_configs": [
            {
                "job_name": "broadcaster-server",
                "static_configs": [{"targets": [f"127.0.0.1:{server_port}"]}],
            },
            {
                "job_name": "broadcaster-worker",
                "static_configs": [{"targets": [f"127.0.0.1:{worker_port}"]}],
            },
        ],
    }
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))
    args = [
        "prometheus",
        f"--config.file={tmp_path / 'prometheus.yml'}",
        f"--storage.tsdb.path={tmp_path / 'data'}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--log.level=warn",
    ]
    with (
        (tmp_path / "prometheus.log").open("w") as log,
        subprocess.Popen(args, stdout=log, stderr=log) as process,
    ):
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            process.terminate()  # Prometheus stops on SIGTERM; leaving the block waits for it


async def api(session: aiohttp.ClientSession, url: str, **params: str) -> Any:
    """One Prometheus HTTP API call; None while it is not answering yet."""
    try:
        async with session.get(url, params=params) as response:
            body = await response.json()
    except aiohttp.ClientError:
        return None
    assert body["status"] == "success", body
    return body["data"]


async def poll(check: Any, what: str) -> Any:
    """Call ``check`` until it returns something truthy; the limit only prevents a hang."""
    try:
        async with asyncio.timeout(60):
            while True:
                result = await check()
                if result:
                    return result
                await asyncio.sleep(0.25)
    except TimeoutError:
        pytest.fail(f"Prometheus never showed {what}")


@pytest.mark.slow
async def test_a_real_prometheus_scrapes_server_and_worker_and_evaluates_our_rules(
    settings, redis_url, tmp_path
):
    async with (
        broadcast_sent(settings, redis_url) as stack,
        aiohttp.ClientSession() as session,
    ):
        server_port = int(stack.api_url.rsplit(":", 1)[1])
        with prometheus(tmp_path, server_port, stack.worker_metrics_port) as base:
            query = f"{base}/api/v1/query"

            async def series(expr: str) -> list[dict[str, Any]]:
                data = await api(session, query, query=expr)
                return [] if data is None else data["result"]

            up = await poll(lambda: series("broadcaster_worker_up == 1"), "the worker")
            assert up[0]["metric"]["job"] == "broadcaster-worker"
            delivered = 'broadcaster_messages_total{job="broadcaster-server",status="delivered"}'
            found = await poll(lambda: series(delivered), "the server's delivery counter")
            assert float(found[0]["value"][1]) > 0
            state = await poll(
                lambda: series('broadcaster_broadcasts{job="broadcaster-server"}'),
                "the server's shared-state gauges",
            )
            assert {s["metric"]["status"] for s in state} >= {"running", "done"}

            latest: list[dict[str, Any]] = []

            async def rules_quiet() -> list[dict[str, Any]] | None:
                """Every rule evaluated, none pending or firing on this healthy deployment."""
                data = await api(session, f"{base}/api/v1/rules")
                latest[:] = [] if data is None else [r for g in data["groups"] for r in g["rules"]]
                healthy = all(r["health"] == "ok" and r["state"] == "inactive" for r in latest)
                return latest if latest and healthy else None

            try:
                rules = await poll(rules_quiet, "every alert rule evaluated and quiet")
            finally:
                print({r["name"]: (r["health"], r.get("state")) for r in latest})  # on failure
            assert {r["name"] for r in rules} == {r["alert"] for r in alert_rules()}

            for expr in dashboard_exprs():  # the real engine accepts every dashboard query
                assert await api(session, query, query=expr) is not None, expr


# --- logs ------------------------------------------------------------------------------------
def test_the_demo_logs_json_with_masked_phones_and_no_secret(
    redis_url, monkeypatch, capsys, restore_logging
):
    """The demo at DEBUG in JSON: every line parses, no full number, no token in any line."""
    operator_secret = "operator-bootstrap-token-0123"
    monkeypatch.setenv("BROADCASTER_REDIS__URL", redis_url)
    monkeypatch.setenv("BROADCASTER_LOG__LEVEL", "DEBUG")
    monkeypatch.setenv("BROADCASTER_LOG__FORMAT", "json")
    monkeypatch.setenv("BROADCASTER_API__BOOTSTRAP_TOKEN", operator_secret)
    monkeypatch.chdir(Path(__file__).resolve().parents[2])
    assert main(["demo", "--verbose"]) == 0

    # the demo's own credentials became known after start-up; anything logged now is scrubbed
    demo = SimulatorConfig()
    secrets = [demo.access_token, demo.app_secret, LOCAL_TOKEN, "local-verify-token"]
    secrets.append(ALERTMANAGER_TOKEN.reveal())
    secrets.append(operator_secret)
    logging.getLogger("broadcaster.test").warning("late %s", " ".join(secrets))
    out = capsys.readouterr()
    lines = [json.loads(line) for line in out.err.splitlines() if line.strip()]
    assert {"time", "level", "logger", "event"} <= set(lines[0])
    assert any(line.get("broadcast_id") for line in lines)
    assert any(line.get("incident_id") for line in lines)
    assert lines[-1]["event"] == "late " + " ".join(["***"] * len(secrets))

    text = out.err + out.out
    for secret in secrets:
        assert secret not in text
    customers = sample_customers(CUSTOMERS)
    for customer in customers:
        assert customer.phone.removeprefix("+") not in text
    masked = [f"+62812****{c.phone[-4:]}" for c in customers]
    sent_to = [m for m in masked if m in text]
    assert len(sent_to) >= 50, "the send attempts name their (masked) recipients"
    assert "delivered" in out.out
