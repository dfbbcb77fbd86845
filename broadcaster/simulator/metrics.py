"""``/metrics`` for the simulator: its own registry, read from the ledger at scrape time.

A custom collector costs nothing per request (the ledger counts anyway), and a dedicated
``CollectorRegistry`` per app keeps several simulators in one process apart.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

if TYPE_CHECKING:
    from broadcaster.simulator.simulator import Simulator

PREFIX = "broadcaster_simulator_"


def _counter(name: str, doc: str, label: str, counts: Mapping[Any, int]) -> Metric:
    family = CounterMetricFamily(PREFIX + name, doc, labels=[label])
    for key, value in sorted(counts.items(), key=lambda kv: str(kv[0])):
        family.add_metric([str(key)], value)
    return family


class SimulatorCollector(Collector):
    """Every simulator metric, computed from the simulator's records when scraped."""

    def __init__(self, simulator: Simulator) -> None:
        self._sim = simulator

    def collect(self) -> Iterable[Metric]:
        sim = self._sim
        ledger = sim.ledger
        stats = sim.webhooks.stats
        yield _counter("requests", "Graph API requests, by endpoint.", "endpoint", ledger.requests)
        yield _counter(
            "messages_accepted", "Messages accepted, by type.", "type", ledger.accepted_by_type
        )
        yield _counter(
            "errors", "Graph errors answered synchronously, by code.", "code", ledger.sync_errors
        )
        yield _counter(
            "async_errors", "Failed status webhooks, by error code.", "code", ledger.async_errors
        )
        yield _counter(
            "statuses", "Message statuses emitted, by status.", "status", ledger.statuses
        )
        yield _counter("faults", "Faults injected, by kind.", "fault", ledger.faults)
        yield _counter("inbound_messages", "Inbound messages injected.", "type", ledger.inbound)
        posts = {"posted": stats.posted, "failed": stats.failed}
        yield _counter("webhook_posts", "Webhook POSTs by final outcome.", "outcome", posts)
        retries = CounterMetricFamily(PREFIX + "webhook_retries", "Webhook POST retry attempts.")
        retries.add_metric([], stats.retried)
        yield retries
        duplicates = CounterMetricFamily(
            PREFIX + "webhook_duplicates", "Statuses posted twice on purpose."
        )
        duplicates.add_metric([], stats.duplicates)
        yield duplicates
        yield GaugeMetricFamily(
            PREFIX + "webhook_pending",
            "Statuses waiting to be posted plus POSTs in flight.",
            value=sim.webhooks.pending(),
        )
        window = GaugeMetricFamily(
            PREFIX + "max_messages_in_window",
            "Most messages accepted in any 1 s window, by phone number id.",
            labels=["phone_number_id"],
        )
        for number in sim.config.phone_number_ids:
            window.add_metric([number], sim.max_in_window(number, 1.0))
        yield window
        yield GaugeMetricFamily(
            PREFIX + "throughput_cap",
            "Messages per second allowed per phone number id (0 = uncapped).",
            value=sim.config.messages_per_second,
        )


def simulator_registry(simulator: Simulator) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(SimulatorCollector(simulator))
    return registry
