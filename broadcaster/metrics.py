"""Every Prometheus metric, declared once. ``docs/metrics.md`` is generated from this module.

Three registries decide which process serves what:

- ``REGISTRY``: what *this* process did (counters, histograms). Both ``serve`` and ``worker``
  serve it; a dashboard ``sum()``s it over instances.
- ``STATE_REGISTRY``: gauges describing shared state (incidents by state, broadcast progress,
  queue depth, holds). ``broadcaster serve`` refreshes them from Redis when ``/metrics`` is
  scraped (``services/gauges.py``); workers never serve them, so N workers do not mean N
  copies of one fact or N Redis scans per scrape interval. Several server replicas serve
  identical values: take ``max()``.
- ``WORKER_REGISTRY``: what only a worker can say (``broadcaster_worker_up``).

No label ever carries a phone number, a customer id, an incident id or free text: label values
come from small closed sets (kinds, statuses, sources, codes), listed in ``LABELS``.
Regenerate the catalogue with ``python -m broadcaster.reference``.
"""

from __future__ import annotations

from collections.abc import Sequence

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    Info,
    gc_collector,
    platform_collector,
    process_collector,
)
from prometheus_client import exposition as _exposition

REGISTRY = CollectorRegistry(auto_describe=True)
process_collector.ProcessCollector(registry=REGISTRY)
platform_collector.PlatformCollector(registry=REGISTRY)
gc_collector.GCCollector(registry=REGISTRY)
STATE_REGISTRY = CollectorRegistry(auto_describe=True)
WORKER_REGISTRY = CollectorRegistry(auto_describe=True)

# What each process serves on /metrics.
SERVER = (REGISTRY, STATE_REGISTRY)
WORKER = (REGISTRY, WORKER_REGISTRY)

_LATENCY = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
_LEAD_TIME = (1, 2, 5, 10, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200)

# Every label name in use and the closed set its values come from (tests enforce both).
LABELS = {
    "basis": "`estimated` (priced at send time), `actual` (from Meta's pricing in status webhooks)",
    "channel": "`whatsapp` and the channels of `[deflection] channels`",
    "code": "Graph API error code (`130429`, `131056`, `190`...; `0` = no Graph body)",
    "commit": "source revision of the image",
    "currency": "ISO 4217 code from configuration (`IDR`, `USD`)",
    "feed": "polled feed: `statuspage`, `alertmanager`",
    "function": "worker job: `plan_broadcast`, `send_chunk`, ...",
    "answer": "follow-up answer: `ok`, `down`",
    "eta": "`kept`, `missed`, `none` (no ETA was given)",
    "kind": "message kind: `notice`, `update`, `resolution`, `voucher`, `follow_up`, `reply`",
    "language": "template language code (`id`, `en`)",
    "method": "HTTP method",
    "outcome": "result of the step; each metric's description lists its values",
    "reason": "why sending or a broadcast is held; each metric's description lists its values",
    "score": "satisfaction answer `1` to `5`",
    "type": "inbound message type: `text`, `button`, `interactive`, `other`",
    "route": "aiohttp route template (`/api/v1/incidents/{id}`), `unmatched` for 404s",
    "share": "`0.5` or `0.95` of the notice audience",
    "source": "`whatsapp`, `alertmanager`, `grafana`, `pagerduty`, `statuspage`, `manual`",
    "state": "lifecycle state; each metric's description lists its values",
    "status": "HTTP status code, recipient state or broadcast status (see the metric)",
    "tier": "customer tier from `[tiers] order`",
    "version": "package version",
    "where": "`sync` (the send request's answer), `async` (a failed status webhook)",
}

BUILD = Info("broadcaster_build", "Version and commit of the running code.", registry=REGISTRY)
# an Info metric's labels are the keys of the dict it is given (describe_build)
INFO_LABELS = {"broadcaster_build": ("version", "commit")}

# --- HTTP and intake -------------------------------------------------------------------------
HTTP_REQUESTS = Counter(
    "broadcaster_http_requests_total",
    "HTTP requests answered, by route template, method and status code.",
    ["route", "method", "status"],
    registry=REGISTRY,
)
HTTP_DURATION = Histogram(
    "broadcaster_http_request_duration_seconds",
    "Time to answer an HTTP request, by route template.",
    ["route"],
    buckets=_LATENCY,
    registry=REGISTRY,
)
WEBHOOK_SIGNATURE_FAILURES = Counter(
    "broadcaster_webhook_signature_failures_total",
    "Webhook requests refused for a missing or wrong signature or token, by source.",
    ["source"],
    registry=REGISTRY,
)
WEBHOOK_INTAKE_LAG = Histogram(
    "broadcaster_webhook_intake_lag_seconds",
    "Time from an event's own timestamp to our receipt, by source.",
    ["source"],
    buckets=_LEAD_TIME,
    registry=REGISTRY,
)
WEBHOOK_EVENTS = Counter(
    "broadcaster_webhook_events_total",
    "Events read from webhooks, by source and outcome "
    "(accepted, duplicate, ignored, invalid, message, template).",
    ["source", "outcome"],
    registry=REGISTRY,
)
SIGNALS = Counter(
    "broadcaster_signals_total",
    "Alert and incident signals, by source and outcome (new, duplicate, ignored, rejected).",
    ["source", "outcome"],
    registry=REGISTRY,
)
INTAKE_POLLS = Counter(
    "broadcaster_intake_polls_total",
    "Polls of status APIs and of Alertmanager's API, by feed and outcome (ok, error).",
    ["feed", "outcome"],
    registry=REGISTRY,
)
SIGNAL_TO_DECLARED = Histogram(
    "broadcaster_signal_to_declared_seconds",
    "Time from an incident's first signal to its declaration as customer-facing.",
    buckets=_LEAD_TIME,
    registry=REGISTRY,
)

# --- Incidents and broadcasts ----------------------------------------------------------------
INCIDENT_TO_FIRST_MESSAGE = Histogram(
    "broadcaster_incident_to_first_message_seconds",
    "Time from an incident's start to the first customer message accepted by WhatsApp.",
    buckets=_LEAD_TIME,
    registry=REGISTRY,
)
INCIDENT_TO_AUDIENCE_NOTIFIED = Histogram(
    "broadcaster_incident_to_audience_notified_seconds",
    "Time from an incident's start until a share (0.5, 0.95) of its notice audience was sent.",
    ["share"],
    buckets=_LEAD_TIME,
    registry=REGISTRY,
)

# --- Sending ---------------------------------------------------------------------------------
MESSAGES = Counter(
    "broadcaster_messages_total",
    "Message state changes, by kind and status (accepted, sent, delivered, read, failed, "
    "unknown, retry, skipped, waiting_budget).",
    ["kind", "status"],
    registry=REGISTRY,
)
MESSAGE_ERRORS = Counter(
    "broadcaster_message_errors_total",
    "Cloud API errors by kind of message, Graph error code and where it was seen (sync, async).",
    ["kind", "code", "where"],
    registry=REGISTRY,
)
SEND_DURATION = Histogram(
    "broadcaster_send_duration_seconds",
    "Cloud API send request latency; its _count is every send attempt, answered or not.",
    buckets=_LATENCY,
    registry=REGISTRY,
)
RATE_LIMITER_WAIT = Histogram(
    "broadcaster_rate_limiter_wait_seconds",
    "Time a send waited for its slot from the shared rate limiter.",
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
    registry=REGISTRY,
)
THROTTLED = Counter(
    "broadcaster_throttled_total",
    "Sends refused by WhatsApp for throughput (130429) or pair rate (131056).",
    ["code"],
    registry=REGISTRY,
)
COST = Counter(
    "broadcaster_cost_total",
    "Message cost in the configured currency, by basis (estimated at send, actual from pricing).",
    ["basis", "currency"],
    registry=REGISTRY,
)

# --- Outcomes for customers ------------------------------------------------------------------
INCIDENTS_RESOLVED = Counter(
    "broadcaster_incidents_resolved_total",
    "Resolved incidents customers had been told about, by whether the first ETA they were "
    "told was kept (kept, missed, none: no ETA was given).",
    ["eta"],
    registry=REGISTRY,
)
VOUCHERS_ISSUED = Counter(
    "broadcaster_vouchers_issued_total",
    "Vouchers newly issued to customers (an idempotent re-issue is not counted), by tier.",
    ["tier"],
    registry=REGISTRY,
)
VOUCHER_VALUE = Counter(
    "broadcaster_voucher_value_total",
    "Face value of the vouchers newly issued, in the voucher's currency, by tier.",
    ["tier", "currency"],
    registry=REGISTRY,
)
VOUCHER_PROVIDER_REQUESTS = Counter(
    "broadcaster_voucher_provider_requests_total",
    "Calls to the voucher provider, by outcome (ok, error, timeout).",
    ["outcome"],
    registry=REGISTRY,
)
FOLLOW_UP_ANSWERS = Counter(
    "broadcaster_follow_up_answers_total",
    "Answers to follow-up buttons, by answer (ok, down).",
    ["answer"],
    registry=REGISTRY,
)
FOLLOW_UP_CASES = Counter(
    "broadcaster_follow_up_cases_total",
    "Customers who answered the follow-up that their service is still broken (a case).",
    registry=REGISTRY,
)
SATISFACTION_SCORES = Counter(
    "broadcaster_satisfaction_scores_total",
    "Satisfaction (CSAT) answers after a follow-up, by score (1-5).",
    ["score"],
    registry=REGISTRY,
)

# --- Inbound and deflection ------------------------------------------------------------------
INBOUND_MESSAGES = Counter(
    "broadcaster_inbound_messages_total",
    "Inbound WhatsApp messages handled, by type (text, button, interactive, other).",
    ["type"],
    registry=REGISTRY,
)
CONTACTS = Counter(
    "broadcaster_contacts_total",
    "Customer contacts recorded, by channel (whatsapp and the configured other channels).",
    ["channel"],
    registry=REGISTRY,
)
AUTO_REPLIES = Counter(
    "broadcaster_auto_replies_total",
    "Free-form answers, by reason (status, opt_out, opt_in, follow_up_ok, follow_up_case, "
    "csat, csat_thanks) and outcome (sent, failed, repeat).",
    ["reason", "outcome"],
    registry=REGISTRY,
)
AUTO_REPLY_DURATION = Histogram(
    "broadcaster_auto_reply_duration_seconds",
    "Time from an inbound message reaching the webhook to its answer accepted by WhatsApp.",
    buckets=_LATENCY,
    registry=REGISTRY,
)
OPT_OUTS = Counter(
    "broadcaster_opt_outs_total",
    "Customers who opted out by message (a repeated STOP is not counted).",
    registry=REGISTRY,
)
OPT_INS = Counter(
    "broadcaster_opt_ins_total",
    "Customers who opted back in by message.",
    registry=REGISTRY,
)
DEFLECTION_FINALIZED = Counter(
    "broadcaster_deflection_finalized_total",
    "Incidents whose deflection estimate was finalized, by method (holdout, baseline, none).",
    ["method"],
    registry=REGISTRY,
)

# --- Jobs ------------------------------------------------------------------------------------
JOBS = Counter(
    "broadcaster_jobs_total",
    "Worker jobs by function and outcome (done, retry, failed, error).",
    ["function", "outcome"],
    registry=REGISTRY,
)

# --- Shared state: served by `broadcaster serve` only, refreshed from Redis at scrape ----------
INCIDENTS = Gauge(
    "broadcaster_incidents",
    "Incidents by lifecycle state (pending, investigating, identified, monitoring, resolved, "
    "cancelled), over the newest 1000 incidents.",
    ["state"],
    registry=STATE_REGISTRY,
)
BROADCAST_RECIPIENTS = Gauge(
    "broadcaster_broadcast_recipients",
    "Recipients of running broadcasts by kind and delivery state (pending, sending, accepted, "
    "sent, delivered, read, failed, unknown, retry, skipped, waiting_budget, held: the "
    "customer's cadence holds it back, e.g. quiet hours).",
    ["kind", "state"],
    registry=STATE_REGISTRY,
)
BROADCASTS = Gauge(
    "broadcaster_broadcasts",
    "Broadcasts that are running or belong to an open incident, by status "
    "(running, paused, cancelled, done).",
    ["status"],
    registry=STATE_REGISTRY,
)
BROADCASTS_PAUSED = Gauge(
    "broadcaster_broadcasts_paused",
    "Paused broadcasts by reason (commander, template_paused, template_disabled, "
    "template_missing, template_parameters, template_parameter_format, other).",
    ["reason"],
    registry=STATE_REGISTRY,
)
TEMPLATE_PAUSED = Gauge(
    "broadcaster_template_paused",
    "1 while Meta reports the template of this kind and language paused or disabled.",
    ["kind", "language"],
    registry=STATE_REGISTRY,
)
SENDER_PAUSED = Gauge(
    "broadcaster_sender_paused",
    "1 while all sending is held for a reason that needs an operator (token, permission, "
    "account_restricted, account_locked, payment, number_not_registered).",
    ["reason"],
    registry=STATE_REGISTRY,
)
MESSAGING_LIMIT = Gauge(
    "broadcaster_messaging_limit",
    "Configured unique users per rolling 24 h the business may message (0: unlimited).",
    registry=STATE_REGISTRY,
)
MESSAGING_LIMIT_REMAINING = Gauge(
    "broadcaster_messaging_limit_remaining",
    "Unique users that may still be messaged in the rolling 24 h window (-1: unlimited).",
    registry=STATE_REGISTRY,
)
MESSAGES_WAITING_BUDGET = Gauge(
    "broadcaster_messages_waiting_budget",
    "Recipients of running broadcasts held back because the messaging limit is used up.",
    registry=STATE_REGISTRY,
)
DEFLECTION_ESTIMATED = Gauge(
    "broadcaster_deflection_contacts_estimated",
    "Inbound contacts the broadcasts are estimated to have prevented: the sum of the final "
    "estimates of incidents started within deflection.retention (default 35 days).",
    registry=STATE_REGISTRY,
)
QUEUE_DEPTH = Gauge(
    "broadcaster_queue_depth",
    "Jobs waiting in the arq queue, runnable now or deferred.",
    registry=STATE_REGISTRY,
)
QUEUE_OLDEST_AGE = Gauge(
    "broadcaster_queue_oldest_job_age_seconds",
    "How long the oldest unfinished job has been due (running jobs included).",
    registry=STATE_REGISTRY,
)
REDIS_UP = Gauge(
    "broadcaster_redis_up",
    "1 when the last scrape read the shared state from Redis; 0 when Redis did not answer.",
    registry=STATE_REGISTRY,
)

# --- Worker only -----------------------------------------------------------------------------
WORKER_UP = Gauge(
    "broadcaster_worker_up",
    "1 while this worker process is running its job loop.",
    registry=WORKER_REGISTRY,
)


def describe_build(version: str, commit: str) -> None:
    """Fill ``broadcaster_build_info`` (both processes call it at start)."""
    BUILD.info(
        dict(zip(INFO_LABELS["broadcaster_build"], (version, commit or "unknown"), strict=True))
    )


def render(registries: Sequence[CollectorRegistry] = SERVER) -> tuple[bytes, str]:
    """The text exposition of ``registries`` (``SERVER`` or ``WORKER``) and its content type."""
    body = b"".join(_exposition.generate_latest(registry) for registry in registries)
    return body, _exposition.CONTENT_TYPE_LATEST
