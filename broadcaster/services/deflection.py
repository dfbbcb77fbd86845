"""An incident's deflection: its notice audiences and contacts, read from Redis and handed
to ``domain.deflection_report``; the final estimate stored once the incident is over.

The window runs from the incident's start to its resolution plus ``deflection.tail`` (or
now, while it lasts). Once that has passed the estimate can no longer change: the worker
stores it with the incident, so it outlives the contact log's retention, and exports it as
a metric.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from broadcaster.bootstrap import Deps
from broadcaster.domain.contacts import tally
from broadcaster.domain.deflection import baseline_group, baseline_windows
from broadcaster.domain.deflection_report import Inputs, build
from broadcaster.domain.incidents import Incident
from broadcaster.domain.templates import Kind
from broadcaster.metrics import DEFLECTION_FINALIZED

logger = logging.getLogger(__name__)


def _ms(at: datetime) -> int:
    return int(at.timestamp() * 1000)


def window_end(deps: Deps, incident: Incident, now: datetime) -> datetime:
    if incident.resolved_at is None:
        return now
    return min(now, incident.resolved_at + deps.settings.deflection.tail)


async def compute(deps: Deps, incident: Incident, now: datetime) -> dict[str, Any]:
    """The ``deflection`` object as of ``now``."""
    cfg = deps.settings.deflection
    notified: set[int] = set()
    holdout: set[int] = set()
    delivered: dict[int, int] = {}
    for broadcast in await deps.broadcasts.for_incident(incident.id):
        if broadcast.kind is Kind.NOTICE:
            audience = await deps.deliveries.audience(broadcast.id)
            notified.update(audience.notified)
            holdout.update(audience.held)
            delivered.update(audience.delivered_ms)
    start, end = _ms(incident.started_at), _ms(window_end(deps, incident, now))
    population = notified | holdout
    window = tally(await deps.contacts.read([(start, end)]), start, end, population)
    since = await deps.contacts.covered_since(_ms(now))
    offset = int(cfg.baseline_offset.total_seconds() * 1000)
    windows = baseline_windows(start, end, offset, cfg.baseline_periods, since)
    earlier = await deps.contacts.read(windows) if population else []
    answers = await deps.inbound_records.answers(incident.id)
    inputs = Inputs(
        start_ms=start,
        end_ms=end,
        notified=notified,
        holdout=holdout,
        delivered=delivered,
        contacts=window,
        baseline=baseline_group(earlier, windows, population),
        baseline_windows=windows,
        answered=answers.get("sent", 0),
        cost_per_contact=cfg.cost_per_contact,
        currency=cfg.currency,
        points=cfg.timeline_points,
    )
    return {**build(inputs), "final": False}


async def incident_deflection(deps: Deps, incident: Incident) -> dict[str, Any]:
    """The stored final estimate, or the estimate so far."""
    final = await deps.inbound_records.final_deflection(incident.id)
    return final if final is not None else await compute(deps, incident, deps.clock())


async def finalize_due(deps: Deps) -> int:
    """Store the final estimate of every incident whose window has closed; returns how many."""
    now = deps.clock()
    tail = deps.settings.deflection.tail
    done = 0
    # incidents older than the contact log's retention have nothing left to measure
    since = now - deps.settings.deflection.retention
    for incident in await deps.incident_store.started_since(since):
        if incident.resolved_at is None or incident.resolved_at + tail > now:
            continue
        if await deps.inbound_records.final_deflection(incident.id) is not None:
            continue
        deflection = {**await compute(deps, incident, now), "final": True}
        if not await deps.inbound_records.finalize_deflection(incident.id, deflection):
            continue
        done += 1
        method = deflection["method"]
        DEFLECTION_FINALIZED.labels(method).inc()
        logger.info("deflection final", extra={"incident_id": incident.id, "method": method})
    return done


async def recent_deflected(deps: Deps) -> float:
    """Contacts prevented, summed over the final estimates of incidents still in retention."""
    since = deps.clock() - deps.settings.deflection.retention
    total = 0.0
    for incident in await deps.incident_store.started_since(since):
        final = await deps.inbound_records.final_deflection(incident.id)
        if final is not None and final.get("deflected") is not None:
            total += float(final["deflected"]["estimate"])
    return total
