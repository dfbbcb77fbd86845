"""The worker's inbound job: what it returns for messages it cannot use."""

from __future__ import annotations

from broadcaster.worker import handle_inbound


async def test_a_malformed_job_fails_once_instead_of_retrying_forever(deps):
    ctx = {"deps": deps, "job_try": 1}
    assert await handle_inbound(ctx, {"message_id": "wamid.1", "type": "text"}) == "failed"


async def test_a_message_from_an_unknown_number_is_handled_without_an_answer(deps):
    message = {
        "message_id": "wamid.2",
        "from_number": "6289900000001",
        "timestamp": 1_764_000_000,
        "type": "text",
        "phone_number_id": "1000000000001",
        "text": "STOP",
    }
    assert await handle_inbound({"deps": deps}, message, 1_764_000_000_300) == "unknown_sender"
    assert await deps.contacts.read([(1_764_000_000_000, 1_764_000_001_000)]) == []
