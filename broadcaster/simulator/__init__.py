"""A local WhatsApp Cloud API (Meta's Graph ``/messages``) for tests, benchmarks and the demo.

Importing this package starts nothing; see docs/simulator.md for what it simulates.
"""

from __future__ import annotations

from broadcaster.simulator.catalog import ApprovedTemplate, load_templates_json
from broadcaster.simulator.config import SimulatorConfig
from broadcaster.simulator.faults import Faults
from broadcaster.simulator.graph_errors import GraphError
from broadcaster.simulator.records import AcceptedMessage
from broadcaster.simulator.server import RunningSimulator, run_simulator, serve_forever
from broadcaster.simulator.simulator import Simulator

__all__ = [
    "AcceptedMessage",
    "ApprovedTemplate",
    "Faults",
    "GraphError",
    "RunningSimulator",
    "Simulator",
    "SimulatorConfig",
    "load_templates_json",
    "run_simulator",
    "serve_forever",
]
