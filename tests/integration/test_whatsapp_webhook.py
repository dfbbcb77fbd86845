"""The WhatsApp webhook: handshake, signature on the raw body, forward-only status updates."""

from __future__ import annotations

import io
import json
from typing import Any

from broadcaster.adapters.broadcast_store import Broadcast, BroadcastStatus
from broadcaster.domain.signatures import meta_signature
from broadcaster.domain.templates import Kind
from tests.conftest import APP_SECRET, VERIFY_TOKEN

BROADCAST = "INC-1-notice-r1"


def envelope(
    statuses: list[dict[str, Any]] | None = None, messages: list[dict[str, Any]] | None = None
) -> bytes:
    value: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "metadata": {"phone_number_id": "1000000000001"},
    }
    if statuses is not None:
        value["statuses"] = statuses
    if messages is not None:
        value["messages"] = messages
        value["contacts"] = [{"wa_id": m["from"], "profile": {"name": "Siti"}} for m in messages]
    body = {
        "object": "whatsapp_business_account",
        "entry": [{"id": "1", "changes": [{"field": "messages", "value": value}]}],
    }
    return json.dumps(body).encode()


def status(index: int, name: str, attempt: int = 1, **extra: Any) -> dict[str, Any]:
    return {
        "id": f"wamid.{index}",
        "status": name,
        "timestamp": "1764000000",
        "recipient_id": f"62812{index:07d}",
        "biz_opaque_callback_data": f"{BROADCAST}|{index}|{attempt}",
        **extra,
    }


def signed(body: bytes, secret: str = APP_SECRET) -> dict[str, str]:
    return {"X-Hub-Signature-256": meta_signature(secret, body), "Content-Type": "application/json"}


async def make_broadcast(deps, total: int = 3) -> None:
    await deps.broadcasts.create(
        Broadcast(
            BROADCAST,
            "INC-1",
            Kind.NOTICE,
            BroadcastStatus.RUNNING,
            total,
            500,
            "2026-11-24T00:00:00Z",
        )
    )


async def test_subscription_handshake(api):
    ok = await api.get(
        "/webhooks/whatsapp",
        params={
            "hub.mode": "subscribe",
            "hub.verify_token": VERIFY_TOKEN,
            "hub.challenge": "1158201444",
        },
    )
    assert ok.status == 200
    assert await ok.text() == "1158201444"
    wrong = await api.get(
        "/webhooks/whatsapp",
        params={"hub.mode": "subscribe", "hub.verify_token": "nope", "hub.challenge": "1"},
    )
    assert wrong.status == 403


async def test_statuses_move_recipients_forward_only(api, deps):
    await make_broadcast(deps)
    body = envelope(
        [status(0, "delivered"), status(1, "sent"), status(0, "sent"), status(2, "read")]
    )
    response = await api.post("/webhooks/whatsapp", data=body, headers=signed(body))
    assert response.status == 200
    assert await deps.broadcasts.counts(BROADCAST) == {"delivered": 1, "sent": 1, "read": 1}
    replay = await api.post("/webhooks/whatsapp", data=body, headers=signed(body))
    assert replay.status == 200
    assert await deps.broadcasts.counts(BROADCAST) == {"delivered": 1, "sent": 1, "read": 1}


async def test_failed_after_sent_counts_but_not_after_delivered(api, deps):
    await make_broadcast(deps)
    errors = [{"code": 131026, "title": "Message undeliverable"}]
    first = envelope([status(0, "sent"), status(1, "delivered")])
    await api.post("/webhooks/whatsapp", data=first, headers=signed(first))
    late = envelope([status(0, "failed", errors=errors), status(1, "failed", errors=errors)])
    await api.post("/webhooks/whatsapp", data=late, headers=signed(late))
    assert await deps.broadcasts.counts(BROADCAST) == {"failed": 1, "delivered": 1, "pending": 1}


async def test_forged_or_missing_signatures_change_nothing(api, deps):
    await make_broadcast(deps)
    body = envelope([status(0, "delivered")])
    missing = await api.post(
        "/webhooks/whatsapp", data=body, headers={"Content-Type": "application/json"}
    )
    assert missing.status == 401
    forged = await api.post("/webhooks/whatsapp", data=body, headers=signed(body, "someone-else"))
    assert forged.status == 403
    tampered = await api.post(
        "/webhooks/whatsapp", data=body.replace(b"delivered", b"read"), headers=signed(body)
    )
    assert tampered.status == 403
    assert (await forged.json())["error"]["code"] == "signature_invalid"
    assert await deps.broadcasts.counts(BROADCAST) == {"pending": 3}


async def test_malformed_and_oversize_bodies_are_refused(api, deps):
    no_id = envelope([{"status": "sent"}])
    for body in (b"{nope", b'{"object": "page", "entry": []}', no_id):
        response = await api.post("/webhooks/whatsapp", data=body, headers=signed(body))
        assert response.status == 400, body
    huge = b"x" * (deps.settings.http.whatsapp_max_body_bytes + 1)
    response = await api.post("/webhooks/whatsapp", data=io.BytesIO(huge), headers=signed(huge))
    assert response.status == 413


async def test_statuses_for_unknown_broadcasts_or_indexes_create_nothing(api, deps, redis_client):
    await make_broadcast(deps, total=2)
    body = envelope([status(7, "delivered")])
    await api.post("/webhooks/whatsapp", data=body, headers=signed(body))
    stranger = envelope(
        [{**status(0, "delivered"), "biz_opaque_callback_data": "INC-9-notice-r1|0|1"}]
    )
    await api.post("/webhooks/whatsapp", data=stranger, headers=signed(stranger))
    assert await deps.broadcasts.counts(BROADCAST) == {"pending": 2}
    assert await redis_client.keys("ob:bc:INC-9*") == []


async def test_inbound_messages_are_queued_once(api, deps):
    message = {
        "from": "6281200000001",
        "id": "wamid.in.1",
        "timestamp": "1764000000",
        "type": "text",
        "text": {"body": "STOP"},
    }
    body = envelope(messages=[message])
    for _ in range(2):
        assert (await api.post("/webhooks/whatsapp", data=body, headers=signed(body))).status == 200
    queued = await deps.arq.queued_jobs(queue_name=deps.settings.redis.queue_name)
    assert [j.function for j in queued] == ["handle_inbound"]


def template_event(**value: Any) -> bytes:
    change = {"field": "message_template_status_update", "value": value}
    body = {"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [change]}]}
    return json.dumps(body).encode()


async def test_template_status_updates_are_kept_and_a_malformed_one_changes_nothing(api, deps):
    statuses = deps.sending.template_statuses
    nameless = template_event(event="PAUSED", message_template_language="id")
    response = await api.post("/webhooks/whatsapp", data=nameless, headers=signed(nameless))
    assert response.status == 400
    assert await statuses.all() == []

    paused = template_event(
        event="PAUSED",
        message_template_id=1,
        message_template_name="outage_notice",
        message_template_language="id",
        reason="LOW_QUALITY",
    )
    response = await api.post("/webhooks/whatsapp", data=paused, headers=signed(paused))
    assert response.status == 200
    [kept] = await statuses.all()
    assert (kept.name, kept.code, kept.event, kept.blocked) == (
        "outage_notice",
        "id",
        "PAUSED",
        True,
    )
    assert (kept.reason, kept.source) == ("LOW_QUALITY", "webhook")
