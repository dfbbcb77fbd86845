"""``GET /api/v1/openapi.json``: the HTTP interface as OpenAPI 3.1.

Written by hand next to the routes it describes; a test compares its paths and methods with
the application's router in both directions, so neither can drift from the other.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from broadcaster import __version__

routes = web.RouteTableDef()

_STATUSES = ["pending", "investigating", "identified", "monitoring", "resolved", "cancelled"]
_TIME = {"type": "string", "format": "date-time"}
_NULLABLE_TIME = {"type": ["string", "null"], "format": "date-time"}
_STRINGS = {"type": "array", "items": {"type": "string"}}
_LABELS = {"type": "object", "additionalProperties": {"type": "string"}}
_OBJECT = {"type": "object"}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*codes: int) -> dict[str, Any]:
    meaning = {
        400: "invalid input",
        401: "missing or unknown credentials",
        403: "wrong role, credentials or signature",
        404: "no such thing",
        409: "not allowed in the current state",
        413: "body too large",
        415: "not JSON",
        422: "Idempotency-Key reused with another body",
        503: "storage unavailable; retry",
    }
    return {str(code): _json(_ref("Error"), meaning[code]) for code in codes}


_ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
_SAMPLE = {
    "name": "sample",
    "in": "query",
    "required": False,
    "description": "how many masked sample recipients to show (default 10)",
    "schema": {"type": "integer", "minimum": 0},
}
_IDEMPOTENCY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "The same key and body return the first answer (24 h, per token).",
    "schema": {"type": "string", "maxLength": 200},
}


def _api(
    summary: str,
    ok: dict[str, Any],
    *,
    body: dict[str, Any] | None = None,
    params: list[dict[str, Any]] | None = None,
    errors: tuple[int, ...] = (401, 403),
    status: int = 200,
) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "summary": summary,
        "security": [{"bearer": []}],
        "parameters": list(params or []),
        "responses": {str(status): ok, **_errors(*errors)},
    }
    if body is not None:
        operation["parameters"].append(_IDEMPOTENCY)
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": body}},
        }
    return operation


def _incident_verb(summary: str, body: dict[str, Any]) -> dict[str, Any]:
    incident = _json(_ref("Incident"), "the incident after the change")
    return {
        "post": _api(
            summary, incident, body=body, params=[_ID], errors=(400, 401, 403, 404, 409, 422)
        )
    }


def _show(summary: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    """``GET`` of one thing by id."""
    return {"get": _api(summary, _json(schema, description), params=[_ID], errors=(401, 404))}


def _webhook(summary: str, extra: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "post": {
            "summary": summary,
            "parameters": extra or [],
            "requestBody": {"required": True, "content": {"application/json": {"schema": _OBJECT}}},
            "responses": {
                "202": _json(_ref("Receipt"), "signals recorded"),
                "200": _json(_ref("Receipt"), "the same delivery was recorded before"),
                **_errors(400, 401, 403, 413, 415, 503),
            },
        }
    }


def _plain(summary: str, description: str = "ok") -> dict[str, Any]:
    return {"get": {"summary": summary, "responses": {"200": {"description": description}}}}


def _paths() -> dict[str, Any]:
    incident = _json(_ref("Incident"), "the incident")
    token = {"name": "token", "in": "path", "required": True, "schema": {"type": "string"}}
    action = {
        "name": "action",
        "in": "path",
        "required": True,
        "schema": {"enum": ["pause", "resume", "cancel"]},
    }
    listing = [
        {"name": "status", "in": "query", "schema": {"type": "string"}, "description": "a,b"},
        {"name": "limit", "in": "query", "schema": {"type": "integer", "maximum": 1000}},
    ]
    return {
        "/healthz": _plain("liveness"),
        "/readyz": _plain("readiness: Redis answers (503 when not)"),
        "/metrics": _plain("Prometheus metrics", "text exposition format"),
        "/webhooks/alertmanager": _webhook("Alertmanager webhook (version 4)"),
        "/webhooks/grafana": _webhook("Grafana unified alerting webhook"),
        "/webhooks/pagerduty": _webhook("PagerDuty v3 webhook (X-PagerDuty-Signature)"),
        "/webhooks/statuspage": _webhook("Statuspage webhook, token as ?token="),
        "/webhooks/statuspage/{token}": _webhook("Statuspage webhook, token in the path", [token]),
        "/webhooks/whatsapp": {
            **_plain("Meta's subscription handshake (hub.challenge)"),
            "post": {
                "summary": "WhatsApp status and message updates (X-Hub-Signature-256)",
                "responses": {"200": {"description": "recorded"}, **_errors(401, 403, 413)},
            },
        },
        "/api/v1/openapi.json": _plain("this document"),
        "/api/v1/incidents": {
            "get": _api(
                "incidents, newest first",
                _json(_ref("IncidentList"), "incidents"),
                params=listing,
                errors=(400, 401),
            ),
            "post": _api(
                "declare an incident",
                incident,
                body=_ref("Declaration"),
                errors=(400, 401, 403, 422),
                status=201,
            ),
        },
        "/api/v1/incidents/{id}": _show(
            "one incident with its audit trail, broadcasts and signals",
            _ref("IncidentDetail"),
            "the incident",
        ),
        "/api/v1/incidents/{id}/updates": _incident_verb(
            "new ETA, status, note or segments", _ref("Update")
        ),
        "/api/v1/incidents/{id}/confirm": _incident_verb("confirm a pending incident", _OBJECT),
        "/api/v1/incidents/{id}/resolve": _incident_verb("service restored", _ref("Resolve")),
        "/api/v1/incidents/{id}/cancel": _incident_verb(
            "false alarm (before customers were told)", _ref("Cancel")
        ),
        "/api/v1/incidents/{id}/report": _show(
            "delivery, voucher and deflection report", _OBJECT, "the report"
        ),
        "/api/v1/incidents/{id}/report.svg": {
            "get": {
                **_api("contacts over time, notified vs holdout", {}, params=[_ID]),
                "responses": {
                    "200": {
                        "description": "an SVG chart",
                        "content": {"image/svg+xml": {"schema": {"type": "string"}}},
                    },
                    **_errors(401, 404),
                },
            }
        },
        "/api/v1/incidents/{id}/audience": {
            "get": _api(
                "who the incident reaches: counts by tier, language and country, holdout, "
                "customers earlier notices already selected, a masked sample, sending time",
                _json(_ref("Audience"), "the audience preview"),
                params=[_ID, _SAMPLE],
                errors=(400, 401, 403, 404),
            )
        },
        "/api/v1/segments": {
            "get": _api(
                "the configured segments and their rules",
                _json(_OBJECT, '{"segments": [...]}'),
                errors=(401,),
            )
        },
        "/api/v1/segments/{name}/audience": {
            "get": _api(
                "who a segment reaches, with scope labels as an incident would give them",
                _json(_ref("Audience"), "the audience preview"),
                params=[
                    {"name": "name", "in": "path", "required": True, "schema": {"type": "string"}},
                    {
                        "name": "label",
                        "in": "query",
                        "required": False,
                        "description": "scope label key=value (repeatable)",
                        "schema": {"type": "array", "items": {"type": "string"}},
                        "style": "form",
                        "explode": True,
                    },
                    _SAMPLE,
                ],
                errors=(400, 401, 403, 404),
            )
        },
        "/api/v1/customers": {
            "post": _api(
                "create or update up to customers.api_batch_limit customers, all or nothing "
                "(admin role)",
                _json(_OBJECT, "created, updated, unchanged and superseded counts"),
                body=_ref("Customers"),
                errors=(400, 401, 403, 413, 415, 422),
            )
        },
        "/api/v1/customers/delete": {
            "post": _api(
                "erase customers: personal data and index bits (admin role)",
                _json(_OBJECT, "which ids were erased and which were unknown"),
                body={
                    "type": "object",
                    "required": ["customer_ids"],
                    "properties": {"customer_ids": _STRINGS},
                    "additionalProperties": False,
                },
                errors=(400, 401, 403, 413, 415),
            )
        },
        "/api/v1/customers/{id}": {
            "get": _api(
                "one customer's record and opt-out state (admin role)",
                _json(_OBJECT, "the customer"),
                params=[_ID],
                errors=(401, 403, 404),
            ),
            "delete": _api(
                "erase one customer (admin role)",
                _json(_OBJECT, '{"customer_id": ..., "erased": true}'),
                params=[_ID],
                errors=(401, 403, 404),
            ),
        },
        "/api/v1/incidents/{id}/vouchers": {
            "get": {
                **_api(
                    "the incident's voucher ledger for finance (commander role)",
                    {},
                    params=[
                        _ID,
                        {
                            "name": "format",
                            "in": "query",
                            "required": False,
                            "schema": {"type": "string", "enum": ["csv", "jsonl"]},
                        },
                    ],
                ),
                "responses": {
                    "200": {
                        "description": "one row per voucher: incident_id, customer_id, code, "
                        "value, currency, tier, reason, status (issued, pending), issued_at, "
                        "expires, provider_ref, message (the voucher message's state, or "
                        "not_sent)",
                        "content": {
                            "text/csv": {"schema": {"type": "string"}},
                            "application/x-ndjson": {"schema": {"type": "string"}},
                        },
                    },
                    **_errors(400, 401, 403, 404),
                },
            }
        },
        "/api/v1/contacts": {
            "post": _api(
                "contacts from other channels (call centre, helpdesk, e-mail, chat)",
                _json(_OBJECT, "how many were recorded, duplicates and unknown customers"),
                body=_ref("Contacts"),
                errors=(400, 401, 403, 422),
            )
        },
        "/api/v1/broadcasts/{id}": _show("one broadcast's progress", _OBJECT, "the broadcast"),
        "/api/v1/broadcasts/{id}/{action}": {
            "post": _api(
                "pause, resume or cancel a broadcast",
                _json(_OBJECT, "the broadcast"),
                body=_OBJECT,
                params=[_ID, action],
                errors=(401, 403, 404, 409),
            )
        },
        "/api/v1/sending": {
            "get": _api("is all sending held, why and since when", _json(_ref("Sending"), "hold"))
        },
        "/api/v1/sending/resume": {
            "post": _api(
                "lift the sending hold once its cause is fixed with Meta",
                _json(_ref("Sending"), "no longer held"),
                body=_OBJECT,
                errors=(401, 403, 409),
            )
        },
    }


def _schemas() -> dict[str, Any]:
    incident = {
        "type": "object",
        "required": ["id", "status", "title", "severity", "started_at", "segments", "source"],
        "properties": {
            "id": {"type": "string"},
            "status": {"enum": _STATUSES},
            "title": {"type": "string"},
            "severity": {"enum": ["minor", "major", "critical"]},
            "summary": {"type": ["string", "null"]},
            "eta": _NULLABLE_TIME,
            "first_eta": _NULLABLE_TIME,
            "started_at": _TIME,
            "declared_at": _NULLABLE_TIME,
            "resolved_at": _NULLABLE_TIME,
            "segments": _STRINGS,
            "labels": _LABELS,
            "source": {"type": "string"},
            "note": {"type": ["string", "null"]},
            "revision": {"type": "integer"},
            "notified": {"type": "boolean"},
        },
    }
    detail = {
        "allOf": [
            _ref("Incident"),
            {
                "type": "object",
                "properties": {
                    "audit": {"type": "array", "items": _OBJECT},
                    "broadcasts": {"type": "array", "items": _OBJECT},
                    "signals": {"type": "array", "items": _OBJECT},
                },
            },
        ]
    }
    return {
        "Error": {
            "type": "object",
            "required": ["error"],
            "properties": {
                "error": {
                    "type": "object",
                    "required": ["code", "message", "details"],
                    "properties": {
                        "code": {"type": "string"},
                        "message": {"type": "string"},
                        "details": _STRINGS,
                    },
                }
            },
        },
        "Incident": incident,
        "IncidentDetail": detail,
        "IncidentList": {
            "type": "object",
            "properties": {"incidents": {"type": "array", "items": _ref("Incident")}},
        },
        "Declaration": {
            "type": "object",
            "required": ["title"],
            "additionalProperties": False,
            "properties": {
                "title": {"type": "string", "maxLength": 200},
                "segments": _STRINGS,
                "severity": {"enum": ["minor", "major", "critical"], "default": "major"},
                "eta": _NULLABLE_TIME,
                "summary": {"type": ["string", "null"], "maxLength": 1000},
                "labels": {"type": ["object", "null"], "additionalProperties": {"type": "string"}},
                "holdout_percent": {"type": ["number", "null"], "minimum": 0, "maximum": 50},
            },
        },
        "Customers": {
            "description": "customer objects with the JSON Lines import's keys "
            '(docs/customers.md), as a list or {"customers": [...]}',
            "type": ["object", "array"],
        },
        "Audience": {
            "type": "object",
            "properties": {
                **{
                    name: {"type": "integer"}
                    for name in ("affected", "eligible", "notified", "holdout")
                },
                "already_selected": {"type": "integer"},
                "holdout_percent": {"type": "number"},
                **{
                    name: {"type": "object", "additionalProperties": {"type": "integer"}}
                    for name in ("by_tier", "by_language", "by_calling_code")
                },
                "estimate": _OBJECT,
                "sample": {"type": "array", "items": _OBJECT},
            },
        },
        "Contacts": {
            "description": "A batch of contact events (docs/deflection.md)",
            "type": ["object", "array"],
        },
        "Update": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "eta": _NULLABLE_TIME,
                "status": {"enum": ["investigating", "identified", "monitoring"]},
                "note": {"type": "string", "maxLength": 1000},
                "segments": _STRINGS,
            },
        },
        "Resolve": {
            "type": "object",
            "additionalProperties": False,
            "properties": {"note": {"type": "string"}, "resolved_at": _TIME},
        },
        "Cancel": {
            "type": "object",
            "additionalProperties": False,
            "properties": {"note": {"type": "string"}},
        },
        "Receipt": {
            "type": "object",
            "properties": {
                "duplicate_delivery": {"type": "boolean"},
                "signals": {
                    "type": "object",
                    "properties": {
                        name: {"type": "integer"} for name in ("new", "duplicate", "ignored")
                    },
                },
            },
        },
        "Sending": {
            "type": "object",
            "required": ["held", "hold"],
            "properties": {
                "held": {"type": "boolean"},
                "hold": {
                    "type": ["object", "null"],
                    "properties": {
                        "reason": {"type": "string"},
                        "code": {"type": "integer"},
                        "since": _TIME,
                        "lifted_by": {"enum": ["probe", "operator"]},
                    },
                },
            },
        },
    }


def document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": "Outage Broadcaster", "version": __version__},
        "paths": _paths(),
        "components": {
            "schemas": _schemas(),
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


@routes.get("/api/v1/openapi.json")
async def openapi(request: web.Request) -> web.Response:
    return web.json_response(document())
