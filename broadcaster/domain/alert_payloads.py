"""Alertmanager (webhook ``version: "4"``) and Grafana (``version: "1"``) bodies into signals.

Both carry the same alert list. What a receiver must not get wrong (reference: feeds.md §1-2):
- act per alert: a ``"status": "firing"`` message may carry alerts that are already resolved,
  and a truncated message (``truncatedAlerts`` > 0) leaves alerts out, so the top-level status
  and common labels say nothing about the alerts that are missing;
- firing alerts carry ``endsAt: 0001-01-01T00:00:00Z``; only resolved ones have a real end;
- one occurrence is (``fingerprint``, ``startsAt``): a re-fire reuses the fingerprint.
The delivery key is a digest of (receiver, groupKey, org, every alert's fingerprint, status,
start and end), so a group re-sent after ``repeat_interval`` or by an HA peer is recognised.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime

from broadcaster.domain.payloads import Fields, load_json, load_object
from broadcaster.domain.signals import Delivery, Signal, SignalState, Source, digest
from broadcaster.domain.timefmt import format_rfc3339

# Annotations read, in this order, for the incident title customers see. ``customer_impact``
# is written for customers; ``summary`` is the conventional one-line alert text.
TITLE_ANNOTATIONS = ("customer_impact", "summary")
SUMMARY_ANNOTATIONS = ("description", "summary")
# Grafana's alerts about its own queries, not about the service (feeds.md §2)
GRAFANA_QUERY_ALERTS = ("DatasourceNoData", "DatasourceError")
_UNSET_END = datetime(1970, 1, 1, tzinfo=UTC)  # anything before this is Go's zero time
_VERSIONS = {Source.ALERTMANAGER: "4", Source.GRAFANA: "1"}
_STATES = tuple(state.value for state in SignalState)


def parse_alertmanager(body: bytes) -> Delivery:
    return _parse(body, Source.ALERTMANAGER, ())


def parse_grafana(
    body: bytes, ignore_alertnames: Collection[str] = GRAFANA_QUERY_ALERTS
) -> Delivery:
    """Grafana's webhook; alerts named in ``ignore_alertnames`` are read and counted, not used."""
    return _parse(body, Source.GRAFANA, ignore_alertnames)


def _parse(body: bytes, source: Source, ignore: Collection[str]) -> Delivery:
    top = Fields(load_object(body, source.value), "", source.value)
    version = _VERSIONS[source]
    if top.data.get("version") != version:
        top.fail("version", f"expected {version!r} ({source.value} webhook)")
    receiver = top.text("receiver")
    group_key = top.text("groupKey")
    top.choice("status", _STATES)
    truncated = top.count("truncatedAlerts")
    signals: list[Signal] = []
    ignored = 0
    parts = []
    for item in top.items("alerts"):
        signal = alert_signal(item, source)
        parts.append(
            (
                signal.fingerprint,
                signal.state.value,
                format_rfc3339(signal.started_at),
                format_rfc3339(signal.ended_at),
            )
        )
        if signal.labels.get("alertname") in ignore:
            ignored += 1
        else:
            signals.append(signal)
    key = digest(receiver, group_key, top.data.get("orgId"), sorted(parts))
    return Delivery(source, key, tuple(signals), ignored, truncated)


def alert_signal(alert: Fields, source: Source) -> Signal:
    """One alert of a webhook body."""
    state = SignalState(alert.choice("status", _STATES))
    labels = alert.labels("labels")
    annotations = alert.labels("annotations")
    fingerprint = alert.text("fingerprint")
    started = alert.time("startsAt")
    ended = alert.optional_time("endsAt")
    if state is SignalState.FIRING or (ended is not None and ended < _UNSET_END):
        ended = None
    return Signal(
        source=source,
        fingerprint=fingerprint,
        state=state,
        title=_first(annotations, TITLE_ANNOTATIONS) or labels.get("alertname") or fingerprint,
        started_at=started,
        labels=labels,
        summary=_first(annotations, SUMMARY_ANNOTATIONS),
        ended_at=ended,
        raw=alert.data,
    )


def active_fingerprints(body: bytes) -> frozenset[str]:
    """Fingerprints in Alertmanager's ``GET /api/v2/alerts`` answer (a JSON list of alerts).

    Every alert listed still fires, silenced or inhibited or not; one that is gone has
    resolved, even if no webhook said so (silenced alerts never send "resolved").
    """
    what = "alertmanager api"
    holder = Fields({"alerts": load_json(body, what)}, "", what)
    return frozenset(alert.text("fingerprint") for alert in holder.items("alerts"))


def _first(annotations: dict[str, str], names: tuple[str, ...]) -> str | None:
    for name in names:
        if annotations.get(name, "").strip():
            return annotations[name].strip()
    return None
