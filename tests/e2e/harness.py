"""The end-to-end tests run the same in-process deployment as the demo."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence
from typing import Any

from broadcaster.clock import Clock, utc_now
from broadcaster.config import Settings
from broadcaster.demo_data import sample_customers
from broadcaster.domain.customers import Customer
from broadcaster.local_stack import LocalStack, local_stack
from broadcaster.simulator import SimulatorConfig
from tests.conftest import REPO

__all__ = ["LocalStack", "running_stack", "sample_customers"]


@contextlib.asynccontextmanager
async def running_stack(
    base: Settings,
    redis_url: str,
    sim_config: SimulatorConfig | None = None,
    customers: Sequence[Customer] = (),
    clock: Clock = utc_now,
    **whatsapp: Any,
) -> AsyncIterator[LocalStack]:
    async with local_stack(base, redis_url, sim_config, REPO, clock, **whatsapp) as stack:
        if customers:
            await stack.deps.directory.upsert(list(customers))
        yield stack
