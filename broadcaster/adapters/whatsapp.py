"""WhatsApp Cloud API client on one long-lived aiohttp session.

``send`` returns the accepted message id or raises ``SendFailed`` carrying a ``Verdict`` from
``domain.send_errors``: the one place where Graph errors and transport failures are read.
POSTs are never retried here (a retry after a lost answer would send twice); read-only GETs
are retried briefly with tenacity.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp
from tenacity import (
    AsyncRetrying,
    retry_if_exception,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
)

from broadcaster.domain.send_errors import Verdict, classify, classify_transport
from broadcaster.domain.templates import RenderedMessage
from broadcaster.errors import PermanentSendError, SendError, TransientSendError
from broadcaster.typed_config import Secret

logger = logging.getLogger(__name__)
# one encoder for every request body (json.dumps with options builds a new one per call)
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


class SendFailed(SendError):
    """A send did not produce a message id; ``verdict`` says what to do about it."""

    def __init__(self, verdict: Verdict, message: str, http_status: int = 0) -> None:
        super().__init__(message, verdict.code, http_status)
        self.verdict = verdict


@dataclass(frozen=True, slots=True)
class Accepted:
    wamid: str
    wa_id: str
    message_status: str | None


def template_payload(to: str, message: RenderedMessage, opaque: str) -> dict[str, Any]:
    """The Cloud API body of a template message (positional parameters)."""
    template = message.template
    components: list[dict[str, Any]] = []
    if message.header:
        components.append({"type": "header", "parameters": _texts(message.header)})
    if message.body:
        components.append({"type": "body", "parameters": _texts(message.body)})
    for button, value in zip(template.buttons, message.buttons, strict=True):
        parameter = (
            {"type": "payload", "payload": value}
            if button.type == "quick_reply"
            else {"type": "text", "text": value}
        )
        components.append(
            {
                "type": "button",
                "sub_type": button.type,
                "index": str(button.index),
                "parameters": [parameter],
            }
        )
    return {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": to,
        "type": "template",
        "template": {
            "name": template.name,
            "language": {"code": template.code},
            "components": components,
        },
        "biz_opaque_callback_data": opaque,
    }


def text_payload(to: str, body: str, opaque: str) -> dict[str, Any]:
    """Free-form text: only delivered inside the 24 h customer service window."""
    return {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": to,
        "type": "text",
        "text": {"preview_url": False, "body": body[:4096]},
        "biz_opaque_callback_data": opaque,
    }


def interactive_payload(
    to: str, body: str, buttons: list[tuple[str, str]], opaque: str, header: str = ""
) -> dict[str, Any]:
    """Reply buttons (1-3, titles up to 20 characters): only inside the 24 h window."""
    interactive: dict[str, Any] = {
        "type": "button",
        "body": {"text": body[:1024]},
        "action": {
            "buttons": [
                {"type": "reply", "reply": {"id": button_id[:256], "title": title[:20]}}
                for button_id, title in buttons[:3]
            ]
        },
    }
    if header:
        interactive["header"] = {"type": "text", "text": header[:60]}
    return {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": to,
        "type": "interactive",
        "interactive": interactive,
        "biz_opaque_callback_data": opaque,
    }


def _texts(values: tuple[str, ...]) -> list[dict[str, str]]:
    return [{"type": "text", "text": value} for value in values]


class CloudApi:
    """Sends messages and reads templates for one WhatsApp Business Account."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        base_url: str,
        version: str,
        token: Secret,
        timeout: float = 30.0,
    ) -> None:
        self._session = session
        self._base = f"{base_url.rstrip('/')}/{version}"
        self._token = token
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._headers = {
            "Authorization": f"Bearer {token.reveal()}",
            "Content-Type": "application/json",
        }

    async def send(self, phone_number_id: str, payload: Mapping[str, Any]) -> Accepted:
        """POST one message. Raises ``SendFailed`` with the classified verdict.

        Only a connection that was never established is retried here (briefly, with
        tenacity): the request never left, so it cannot have been delivered. Anything that
        may have reached Meta is left to the caller's reconciliation.
        """
        url = f"{self._base}/{phone_number_id}/messages"
        body = _ENCODER.encode(payload).encode()
        try:
            return await self._post(url, body)
        except SendFailed as failure:
            if not _never_left(failure):
                raise
        # The first try runs without retry machinery: building a retrier for every message
        # cost a tenth of a worker's CPU. Retries keep their schedule: 50 ms, then 100 ms.
        await asyncio.sleep(0.05)
        async for attempt in AsyncRetrying(
            retry=retry_if_exception(_never_left),
            stop=stop_after_attempt(2),
            wait=wait_exponential(multiplier=0.1, max=0.5),
            reraise=True,
        ):
            with attempt:
                return await self._post(url, body)
        raise AssertionError("unreachable")  # pragma: no cover - tenacity reraises

    async def _post(self, url: str, body: bytes) -> Accepted:
        try:
            async with self._session.post(
                url, data=body, headers=self._headers, timeout=self._timeout
            ) as response:
                raw = await response.read()
                status = response.status
        except aiohttp.ClientConnectorError as exc:
            raise SendFailed(classify_transport(written=False), f"connect: {exc}") from exc
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise SendFailed(classify_transport(written=True), f"no answer: {exc!r}") from exc
        if status == 200:
            return _accepted(raw)
        code, message = _graph_error(raw)
        verdict = classify(code, status)
        raise SendFailed(verdict, f"HTTP {status} ({code}) {message}", status)

    async def get(self, path: str, params: Mapping[str, str] | None = None) -> dict[str, Any]:
        """A read-only Graph GET, retried briefly on transient failures."""
        url = f"{self._base}/{path.lstrip('/')}"
        async for attempt in AsyncRetrying(
            retry=retry_if_exception_type(TransientSendError),
            stop=stop_after_attempt(3),
            wait=wait_exponential(multiplier=0.2, max=2),
            reraise=True,
        ):
            with attempt:
                return await self._get_once(url, params)
        raise AssertionError("unreachable")  # pragma: no cover - tenacity reraises

    async def _get_once(self, url: str, params: Mapping[str, str] | None) -> dict[str, Any]:
        try:
            async with self._session.get(
                url, params=params, headers=self._headers, timeout=self._timeout
            ) as response:
                raw = await response.read()
                status = response.status
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise TransientSendError(f"GET {url}: {exc!r}") from exc
        if status == 200:
            data = json.loads(raw)
            if isinstance(data, dict):
                return data
            raise PermanentSendError(f"GET {url}: unexpected body")
        code, message = _graph_error(raw)
        transient = status >= 500 or code in (1, 2, 4)
        error = TransientSendError if transient else PermanentSendError
        raise error(f"GET {url}: HTTP {status} ({code}) {message}", code or 0, status)

    async def message_templates(self, waba_id: str) -> list[dict[str, Any]]:
        """Every template of the account (all pages)."""
        fields = "name,status,category,language,components,parameter_format"
        params = {"fields": fields, "limit": "100"}
        out: list[dict[str, Any]] = []
        while True:
            page = await self.get(f"{waba_id}/message_templates", params)
            out += [t for t in page.get("data", []) if isinstance(t, dict)]
            after = page.get("paging", {}).get("cursors", {}).get("after")
            if not after or not page.get("paging", {}).get("next"):
                return out
            params = {**params, "after": after}

    async def check_token(self, phone_number_id: str) -> bool:
        """True when the token can read the sender number (a free call, no message sent)."""
        try:
            await self.get(phone_number_id, {"fields": "id"})
        except SendError as exc:
            logger.info("token check failed", extra={"code": exc.code})
            return False
        return True


def _never_left(error: BaseException) -> bool:
    return isinstance(error, SendFailed) and error.verdict.reason == "connect_error"


def _accepted(raw: bytes) -> Accepted:
    try:
        data = json.loads(raw)
        message = data["messages"][0]
        contact = (data.get("contacts") or [{}])[0]
        return Accepted(message["id"], contact.get("wa_id", ""), message.get("message_status"))
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        # a 200 without an id: Meta may have taken it; treat as maybe sent
        raise SendFailed(classify_transport(written=True), "200 without a message id") from exc


def _graph_error(raw: bytes) -> tuple[int | None, str]:
    """The Graph error code and message; code None when the body is not a Graph error."""
    try:
        error = json.loads(raw)["error"]
        return int(error["code"]), str(error.get("message", ""))[:200]
    except (ValueError, KeyError, TypeError):
        return None, raw[:200].decode(errors="replace")
