"""Every Prometheus metric, declared once. ``docs/metrics.md`` is tested against this module.

Counters and histograms count what *this* process did; gauges that describe shared state
(incidents by state, broadcast progress, queue depth) are refreshed from Redis when
``/metrics`` is scraped (see ``web/ops.py``), so every process reports the same value and a
dashboard takes ``max()`` over instances. No label ever carries a phone number, a customer id
or free text: label values come from small closed sets (kinds, statuses, sources, codes).
"""

from __future__ import annotations

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

_LATENCY = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
_LEAD_TIME = (1, 2, 5, 10, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200)

BUILD = Info("broadcaster_build", "Version and commit of the running code.", registry=REGISTRY)

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
    "Events read from webhooks, by source and outcome (accepted, duplicate, ignored, invalid).",
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
INCIDENTS = Gauge(
    "broadcaster_incidents",
    "Incidents by lifecycle state (refreshed from Redis at scrape time).",
    ["state"],
    registry=REGISTRY,
)
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
INCIDENTS_RESOLVED = Counter(
    "broadcaster_incidents_resolved_total",
    "Resolved incidents customers had been told about, by whether the first ETA they were "
    "told was kept (kept, missed, none: no ETA was given).",
    ["eta"],
    registry=REGISTRY,
)
BROADCAST_RECIPIENTS = Gauge(
    "broadcaster_broadcast_recipients",
    "Recipients of active broadcasts by delivery state (refreshed from Redis at scrape time).",
    ["kind", "state"],
    registry=REGISTRY,
)
BROADCASTS = Gauge(
    "broadcaster_broadcasts",
    "Broadcasts by status (running, paused, waiting_budget, done, cancelled).",
    ["status"],
    registry=REGISTRY,
)
BROADCAST_SEND_RATE = Gauge(
    "broadcaster_broadcast_send_rate",
    "Messages per second accepted over the last minute, all broadcasts together.",
    registry=REGISTRY,
)

# --- Sending ---------------------------------------------------------------------------------
MESSAGES = Counter(
    "broadcaster_messages_total",
    "Message state changes, by kind and status (accepted, sent, delivered, read, failed, unknown).",
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
    "Cloud API send request latency.",
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
SENDER_PAUSED = Gauge(
    "broadcaster_sender_paused",
    "1 while sending is paused for a reason that needs an operator (token, account, quality).",
    ["reason"],
    registry=REGISTRY,
)
MESSAGING_LIMIT_REMAINING = Gauge(
    "broadcaster_messaging_limit_remaining",
    "Unique users that may still be messaged in the rolling 24 h window (-1: unlimited).",
    registry=REGISTRY,
)
MESSAGES_WAITING_BUDGET = Gauge(
    "broadcaster_messages_waiting_budget",
    "Recipients held back because the messaging limit is used up.",
    registry=REGISTRY,
)
COST = Counter(
    "broadcaster_cost_total",
    "Message cost in the configured currency, by basis (estimated at send, actual from pricing).",
    ["basis", "currency"],
    registry=REGISTRY,
)

# --- Inbound and deflection ----------------------------------------------------------------
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
    "Free-form answers, by reason (status, opt_out, opt_in) and outcome (sent, failed, repeat).",
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
FOLLOW_UP_ANSWERS = Counter(
    "broadcaster_follow_up_answers_total",
    "Answers to follow-up buttons, by answer (ok, down).",
    ["answer"],
    registry=REGISTRY,
)
DEFLECTION_ESTIMATED = Gauge(
    "broadcaster_deflection_estimated_contacts",
    "Estimated contacts deflected by the incident finalized last, by method (holdout, baseline).",
    ["method"],
    registry=REGISTRY,
)
DEFLECTION_FINALIZED = Counter(
    "broadcaster_deflection_finalized_total",
    "Incidents whose deflection estimate was finalized, by method (holdout, baseline, none).",
    ["method"],
    registry=REGISTRY,
)

# --- Closing the loop ---------------------------------------------------------------------
FOLLOW_UP_CASES = Counter(
    "broadcaster_follow_up_cases_total",
    "Customers who answered the follow-up that their service is still broken (a case).",
    registry=REGISTRY,
)
SATISFACTION_SCORES = Counter(
    "broadcaster_satisfaction_scores_total",
    "Satisfaction (CSAT) answers after a follow-up, by score 1-5.",
    ["score"],
    registry=REGISTRY,
)

# --- Vouchers --------------------------------------------------------------------------------
VOUCHERS_ISSUED = Counter(
    "broadcaster_vouchers_issued_total",
    "Vouchers recorded in the ledger, by customer tier.",
    ["tier"],
    registry=REGISTRY,
)
VOUCHER_VALUE = Counter(
    "broadcaster_voucher_value_total",
    "Value of the vouchers recorded, in the compensation currency.",
    ["currency"],
    registry=REGISTRY,
)
VOUCHER_PROVIDER_FAILURES = Counter(
    "broadcaster_voucher_provider_failures_total",
    "Vouchers the HTTP provider did not confirm (left pending and retried).",
    registry=REGISTRY,
)

# --- Queue and jobs --------------------------------------------------------------------------
QUEUE_DEPTH = Gauge(
    "broadcaster_queue_depth",
    "Jobs waiting in the arq queue, runnable now or deferred.",
    registry=REGISTRY,
)
QUEUE_OLDEST_AGE = Gauge(
    "broadcaster_queue_oldest_job_age_seconds",
    "How long the oldest runnable job has waited past its due time.",
    registry=REGISTRY,
)
JOBS = Counter(
    "broadcaster_jobs_total",
    "Worker jobs by function and outcome (done, retry, failed).",
    ["function", "outcome"],
    registry=REGISTRY,
)
WORKER_UP = Gauge(
    "broadcaster_worker_up",
    "1 while this worker process is running its job loop.",
    registry=REGISTRY,
)


def render() -> tuple[bytes, str]:
    """The text exposition of every metric in this process and its content type."""
    return _exposition.generate_latest(REGISTRY), _exposition.CONTENT_TYPE_LATEST
