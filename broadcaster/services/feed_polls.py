"""Polls that notice what webhooks did not say.

- Alertmanager's ``GET /api/v2/alerts`` lists every alert that still fires (silenced and
  inhibited ones too). An alert we hold as firing that is no longer listed has resolved
  without telling us (a silenced alert never sends "resolved"; a 4xx or a truncated group
  can lose one): it is resolved now. Only alerts known *before* the fetch are judged, so
  an alert that fires during the poll is never mistaken for a vanished one.
- A Statuspage-style API: ``incidents/unresolved.json`` every poll; an incident that left it
  was resolved or deleted, so ``incidents.json`` tells which (and is also read every sweep
  to catch what a downtime missed).
Both feed their findings into intake as ordinary signals; repeats are duplicates.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from broadcaster.domain.alert_payloads import active_fingerprints
from broadcaster.domain.correlation import Track
from broadcaster.domain.signals import Delivery, Signal, SignalState, Source
from broadcaster.domain.statuspage import parse_statuspage_incidents
from broadcaster.services.intake import IntakeService, Receipt

Fetch = Callable[[str], Awaitable[bytes]]
ALERTS_QUERY = "/api/v2/alerts?active=true&silenced=true&inhibited=true&unprocessed=true"


async def reconcile_alertmanager(intake: IntakeService, fetch: Fetch, api_url: str) -> Receipt:
    known = await firing_tracks(intake, Source.ALERTMANAGER)
    active = active_fingerprints(await fetch(api_url.rstrip("/") + ALERTS_QUERY))
    now = intake.clock()
    gone = tuple(ended(t, now, None) for t in known if t.fingerprint not in active)
    return await intake.accept(Delivery(Source.ALERTMANAGER, "reconcile", gone), dedupe=False)


async def poll_statuspage(
    intake: IntakeService, fetch: Fetch, api_url: str, sweep: bool = False
) -> Receipt:
    tracks = await firing_tracks(intake, Source.STATUSPAGE)
    known = {t.fingerprint: t for t in tracks if not t.fingerprint.startswith("component:")}
    base = api_url.rstrip("/")
    found = {
        s.fingerprint: s
        for s in parse_statuspage_incidents(await fetch(f"{base}/incidents/unresolved.json"))
    }
    missing = set(known) - set(found)
    if missing or sweep:
        for signal in parse_statuspage_incidents(await fetch(f"{base}/incidents.json")):
            wanted = signal.state is SignalState.FIRING or signal.fingerprint in known
            if wanted and signal.fingerprint not in found:
                found[signal.fingerprint] = signal
        now = intake.clock()
        for fingerprint in missing - set(found):  # deleted, or beyond the 50 most recent
            found[fingerprint] = ended(known[fingerprint], now, fingerprint)
    delivery = Delivery(Source.STATUSPAGE, "poll", tuple(found.values()))
    return await intake.accept(delivery, dedupe=False)


async def firing_tracks(intake: IntakeService, source: Source) -> list[Track]:
    tracks = []
    for group_hash in await intake.store.tracked():
        loaded = await intake.store.load(group_hash)
        if loaded is not None:
            group = loaded[0]
            tracks += [t for t in group.tracks.values() if t.source is source and t.firing]
    return tracks


def ended(track: Track, now: datetime, group: str | None) -> Signal:
    """The resolution nobody sent for ``track``."""
    return Signal(
        source=track.source,
        fingerprint=track.fingerprint,
        state=SignalState.RESOLVED,
        title=track.title,
        started_at=track.since,
        labels=track.labels,
        severity=track.severity,
        ended_at=now,
        group=group,
    )
