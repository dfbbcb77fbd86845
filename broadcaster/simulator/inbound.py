"""Inbound messages as Meta posts them: a user's text, template quick-reply or button reply.

Pure builders; ``Simulator.inject_inbound`` adds the side effects (window, throughput, POST).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from broadcaster.simulator.config import SimulatorConfig
from broadcaster.simulator.webhooks import metadata


@dataclass(frozen=True)
class InboundRequest:
    """What a test asks the user to send; exactly one of the three kinds must be given."""

    from_number: str
    text: str | None = None
    button_payload: str | None = None
    button_text: str | None = None
    interactive_reply_id: str | None = None
    interactive_reply_title: str | None = None
    context_wamid: str | None = None
    phone_number_id: str | None = None
    profile_name: str = ""

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if not (isinstance(value, str) or (value is None and f.default is None)):
                raise ValueError(f"{f.name} must be a string, got {value!r}")

    def wa_id(self) -> str:
        digits = self.from_number.removeprefix("+")
        if not (digits.isascii() and digits.isdigit() and 7 <= len(digits) <= 15):
            raise ValueError(f"from_number must be 7-15 digits, got {self.from_number!r}")
        return digits

    def content(self) -> tuple[str, dict[str, Any]]:
        """``(type, type-specific object)`` of the message."""
        kinds: list[tuple[str, dict[str, Any]]] = []
        if self.text is not None:
            kinds.append(("text", {"body": self.text}))
        if self.button_payload is not None or self.button_text is not None:
            payload = self.button_payload or self.button_text or ""
            kinds.append(("button", {"payload": payload, "text": self.button_text or payload}))
        if self.interactive_reply_id is not None:
            reply = {"id": self.interactive_reply_id, "title": self.interactive_reply_title or ""}
            kinds.append(("interactive", {"type": "button_reply", "button_reply": reply}))
        if len(kinds) != 1:
            raise ValueError(
                "give exactly one of text, button_payload/button_text, interactive_reply_id"
            )
        return kinds[0]


def inbound_value(
    config: SimulatorConfig,
    request: InboundRequest,
    phone_number_id: str,
    message_id: str,
    now_unix: float,
) -> dict[str, Any]:
    """The ``changes[].value`` of an inbound message webhook."""
    wa_id = request.wa_id()
    kind, content = request.content()
    message: dict[str, Any] = {
        "from": wa_id,
        "id": message_id,
        "timestamp": str(int(now_unix)),
        "type": kind,
        kind: content,
    }
    if request.context_wamid is not None:
        message["context"] = {
            "from": config.display_number(phone_number_id),
            "id": request.context_wamid,
        }
    return {
        "messaging_product": "whatsapp",
        "metadata": metadata(config, phone_number_id),
        "contacts": [{"profile": {"name": request.profile_name}, "wa_id": wa_id}],
        "messages": [message],
    }
