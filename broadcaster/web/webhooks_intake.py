"""Signal webhooks: Alertmanager, Grafana, PagerDuty v3, Statuspage.

Every receiver does the same five things in the same order: read the raw body under a size
cap (413), authenticate on the raw bytes (401/403), insist on JSON (415), parse (400), and
record the signals with one atomic write (202; 200 for a delivery seen before). The worker
does the rest. Status codes are chosen for the senders' retry rules: Alertmanager never
retries a 4xx and PagerDuty drops them, so a 5xx (503) is given only when the problem is ours
(Redis unreachable) and a retry will help. Nothing is stored for a refused request.
"""

from __future__ import annotations

from collections.abc import Callable

from aiohttp import web
from redis.exceptions import RedisError

from broadcaster.adapters.signal_store import StoreBusy
from broadcaster.domain.alert_payloads import parse_alertmanager, parse_grafana
from broadcaster.domain.pagerduty import parse_pagerduty
from broadcaster.domain.signals import Delivery, Outcome, Source
from broadcaster.domain.statuspage import parse_statuspage_webhook
from broadcaster.errors import InputError, WebhookRejected
from broadcaster.intake_settings import IntakeSettings
from broadcaster.metrics import SIGNALS, WEBHOOK_SIGNATURE_FAILURES
from broadcaster.services.intake import IntakeService
from broadcaster.web.bodies import read_body
from broadcaster.web.intake_auth import (
    check_credentials,
    check_grafana_signature,
    check_pagerduty_signature,
    check_url_token,
)
from broadcaster.web.keys import DEPS

routes = web.RouteTableDef()
INTAKE = web.AppKey("intake", IntakeService)
Check = Callable[[web.Request, bytes], None]
Parse = Callable[[web.Request, bytes], Delivery]


def open_receivers(intake: IntakeSettings) -> list[str]:
    """Receivers that take anybody's posts (no credential configured), to warn at start."""
    secured = {
        "alertmanager": intake.alertmanager.bearer_token or intake.alertmanager.basic_password,
        "grafana": intake.grafana.bearer_token
        or intake.grafana.basic_password
        or intake.grafana.hmac_secret,
        "pagerduty": intake.pagerduty.signing_secret,
        "statuspage": intake.statuspage.token,
    }
    return [name for name, secret in secured.items() if not secret]


class UnsupportedMediaType(InputError):
    status = 415
    code = "unsupported_media_type"


async def receive(request: web.Request, source: Source, check: Check, parse: Parse) -> web.Response:
    deps = request.app[DEPS]
    try:
        body = await read_body(request, deps.settings.intake.max_body_bytes)
        try:
            check(request, body)
        except WebhookRejected:
            WEBHOOK_SIGNATURE_FAILURES.labels(source.value).inc()
            raise
        if request.content_type != "application/json":
            raise UnsupportedMediaType(
                "expected Content-Type: application/json", [f"got {request.content_type!r}"]
            )
        delivery = parse(request, body)
    except (InputError, WebhookRejected):
        SIGNALS.labels(source.value, Outcome.REJECTED.value).inc()
        raise
    try:
        receipt = await request.app[INTAKE].accept(delivery)
    except (RedisError, OSError, StoreBusy) as exc:
        raise WebhookRejected(503, "unavailable", "cannot store signals now; retry") from exc
    return web.json_response(receipt.to_dict(), status=200 if receipt.duplicate else 202)


@routes.post("/webhooks/alertmanager")
async def alertmanager(request: web.Request) -> web.Response:
    cfg = request.app[DEPS].settings.intake.alertmanager
    return await receive(
        request,
        Source.ALERTMANAGER,
        lambda r, body: check_credentials(r.headers, cfg),
        lambda r, body: parse_alertmanager(body),
    )


@routes.post("/webhooks/grafana")
async def grafana(request: web.Request) -> web.Response:
    deps = request.app[DEPS]
    cfg = deps.settings.intake.grafana

    def check(r: web.Request, body: bytes) -> None:
        check_credentials(r.headers, cfg)
        check_grafana_signature(r.headers, body, cfg, deps.clock())

    return await receive(
        request, Source.GRAFANA, check, lambda r, body: parse_grafana(body, cfg.ignore_alertnames)
    )


@routes.post("/webhooks/pagerduty")
async def pagerduty(request: web.Request) -> web.Response:
    deps = request.app[DEPS]
    secret = deps.settings.intake.pagerduty.signing_secret
    return await receive(
        request,
        Source.PAGERDUTY,
        lambda r, body: check_pagerduty_signature(r.headers, body, secret),
        lambda r, body: parse_pagerduty(body, r.headers.get("X-Webhook-Id"), deps.clock()),
    )


@routes.post("/webhooks/statuspage")
@routes.post("/webhooks/statuspage/{token}")
async def statuspage(request: web.Request) -> web.Response:
    cfg = request.app[DEPS].settings.intake.statuspage
    return await receive(
        request,
        Source.STATUSPAGE,
        lambda r, body: check_url_token(
            r.match_info.get("token") or r.query.get("token"), cfg.token
        ),
        lambda r, body: parse_statuspage_webhook(body, cfg.components),
    )
