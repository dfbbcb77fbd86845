"""What the HTTP layer sends back for a send: Meta's success body, or a Graph error."""

from __future__ import annotations

import json
from typing import Final, NamedTuple

from broadcaster.simulator.graph_errors import GraphError
from broadcaster.simulator.records import AcceptedMessage

READ_OK: Final = b'{"success":true}'


class Reply(NamedTuple):
    """A status and JSON body, or nothing at all (``drop``), possibly after ``delay_s``.

    A NamedTuple, like the other per-request records: cheaper to build than a dataclass.
    """

    status: int
    body: bytes
    headers: dict[str, str] | None = None
    drop: bool = False
    delay_s: float = 0.0

    @classmethod
    def error(cls, error: GraphError) -> Reply:
        headers = None
        if error.http_status == 401:
            challenge = f'OAuth "Facebook Platform" "invalid_token" "{error.message}"'
            headers = {"WWW-Authenticate": challenge}
        body = json.dumps(error.body(), separators=(",", ":")).encode()
        return cls(error.http_status, body, headers)


def success_body(message: AcceptedMessage) -> bytes:
    """Meta's 200 body; ``message_status`` only for templates (pacing). Built without
    ``json.dumps``: ``to`` passed validation (digits, optional ``+``) and ids are ours."""
    status = ',"message_status":"accepted"' if message.type == "template" else ""
    return (
        '{"messaging_product":"whatsapp",'
        f'"contacts":[{{"input":"{message.to}","wa_id":"{message.wa_id}"}}],'
        f'"messages":[{{"id":"{message.wamid}"{status}}}]}}'
    ).encode()


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header."""
    if authorization is None or authorization[:7].lower() != "bearer ":
        return None
    return authorization[7:].strip()
