"""``/webhooks/whatsapp``: Meta's subscription handshake and signed status/message updates.

POST: the signature is checked over the raw bytes before anything is parsed; statuses are
applied at once (one Lua call per broadcast, idempotent and order-tolerant), notice
recipients' delivery times kept and account- or number-level failures acted on; inbound
messages are stored and queued for the worker.
200 only once all of that is durable, so Meta retries whatever we could not take.
"""

from __future__ import annotations

import hmac
import logging

from aiohttp import web

from broadcaster.adapters import whatsapp_webhooks
from broadcaster.errors import WebhookRejected
from broadcaster.metrics import WEBHOOK_EVENTS, WEBHOOK_INTAKE_LAG, WEBHOOK_SIGNATURE_FAILURES
from broadcaster.services.async_failures import react_to_failures
from broadcaster.services.delivery_times import record_delivery_times
from broadcaster.services.inbound import accept_inbound
from broadcaster.services.statuses import apply_statuses
from broadcaster.services.template_health import record_template_events
from broadcaster.web.bodies import read_body
from broadcaster.web.keys import DEPS

logger = logging.getLogger(__name__)
routes = web.RouteTableDef()
SOURCE = "whatsapp"


@routes.get("/webhooks/whatsapp")
async def verify_subscription(request: web.Request) -> web.Response:
    expected = request.app[DEPS].settings.whatsapp.verify_token
    mode = request.query.get("hub.mode")
    token = request.query.get("hub.verify_token", "")
    challenge = request.query.get("hub.challenge", "")
    valid = bool(expected) and hmac.compare_digest(token.encode(), expected.reveal().encode())
    if mode != "subscribe" or not valid or not challenge:
        WEBHOOK_SIGNATURE_FAILURES.labels(SOURCE).inc()
        return web.Response(status=403, text="verification failed")
    return web.Response(text=challenge)


@routes.post("/webhooks/whatsapp")
async def receive(request: web.Request) -> web.Response:
    deps = request.app[DEPS]
    body = await read_body(request, deps.settings.http.whatsapp_max_body_bytes)
    secret = deps.settings.whatsapp.app_secret.reveal()
    if not secret:
        raise WebhookRejected(503, "not_configured", "whatsapp.app_secret is not configured")
    try:
        whatsapp_webhooks.verify(secret, body, request.headers.get("X-Hub-Signature-256"))
    except WebhookRejected:
        WEBHOOK_SIGNATURE_FAILURES.labels(SOURCE).inc()
        raise
    batch = whatsapp_webhooks.parse(body)
    now = deps.clock().timestamp()
    for update in batch.statuses:
        if update.timestamp:
            WEBHOOK_INTAKE_LAG.labels(SOURCE).observe(max(0.0, now - update.timestamp))
    report = await apply_statuses(deps.broadcasts, batch.statuses, deps.sending.prices)
    WEBHOOK_EVENTS.labels(SOURCE, "accepted").inc(report.applied)
    WEBHOOK_EVENTS.labels(SOURCE, "duplicate").inc(report.ignored)
    WEBHOOK_EVENTS.labels(SOURCE, "ignored").inc(report.unmatched + len(batch.other_fields))
    await record_delivery_times(deps.deliveries, batch.statuses)
    await react_to_failures(deps.holds, deps.pacers, batch.statuses, deps.clock())
    if batch.templates:
        await record_template_events(deps.sending.template_statuses, batch.templates, deps.clock())
        WEBHOOK_EVENTS.labels(SOURCE, "template").inc(len(batch.templates))
    if batch.messages:
        received_ms = int(now * 1000)
        await accept_inbound(deps.redis, deps.keys, deps.queue, batch.messages, received_ms)
        WEBHOOK_EVENTS.labels(SOURCE, "message").inc(len(batch.messages))
    return web.Response(text="ok")
