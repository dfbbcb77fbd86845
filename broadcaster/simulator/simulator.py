"""The simulator's state and rules: one send in, one Graph answer out, statuses scheduled.

``handle_send`` is synchronous on purpose: from the throughput check to recording the
message nothing awaits, so concurrent requests cannot both take the last slot of a window.
The aiohttp layer (``app.py``) only reads bodies, sleeps for slow replies and aborts
connections for dropped ones.
"""

from __future__ import annotations

import dataclasses
import itertools
import random
import time
from typing import TYPE_CHECKING, Any

from broadcaster.simulator import graph_errors as codes
from broadcaster.simulator.access import AccessControl
from broadcaster.simulator.catalog import TemplateCatalog
from broadcaster.simulator.config import SimulatorConfig
from broadcaster.simulator.faults import Faults, fault_problems
from broadcaster.simulator.graph_errors import GraphError
from broadcaster.simulator.inbound import InboundRequest, inbound_value
from broadcaster.simulator.limits import PairLimiter, ServiceWindows, ThroughputLimiter
from broadcaster.simulator.limits import max_in_window as _max_in_window
from broadcaster.simulator.records import AcceptedMessage, Ledger
from broadcaster.simulator.replies import READ_OK, Reply, success_body
from broadcaster.simulator.report import build_report
from broadcaster.simulator.statuses import plan_statuses
from broadcaster.simulator.validation import OutboundRequest, ReadReceipt, parse_json, validate_send
from broadcaster.simulator.webhooks import WebhookDispatcher

if TYPE_CHECKING:
    from contextlib import AbstractAsyncContextManager

    from aiohttp import web


# statuses Meta's message_template_status_update can announce that the simulator acts on
TEMPLATE_EVENTS = frozenset({"APPROVED", "PAUSED", "DISABLED", "REINSTATED", "FLAGGED"})
# a reinstated template sends again; a flagged one still sends (it is a quality warning)
SENDABLE_AS = {"REINSTATED": "APPROVED", "FLAGGED": "APPROVED"}


class Simulator:
    """A local WhatsApp Cloud API: validates sends, enforces limits, posts webhooks."""

    def __init__(self, config: SimulatorConfig) -> None:
        problems = config.problems()
        if problems:
            raise ValueError("invalid simulator config: " + "; ".join(problems))
        self._config = config
        self._initial_token = config.access_token
        self._initial_faults = dataclasses.replace(config.faults)
        self._initial_templates = config.templates
        self.ledger = Ledger()
        self._rng = random.Random(config.seed)
        self._webhooks = WebhookDispatcher(config, self.ledger, self._rng)
        self._access = AccessControl(config)
        self._throughput = ThroughputLimiter()
        self._pairs = PairLimiter()
        self._windows = ServiceWindows()
        self._catalog = TemplateCatalog(config.templates)
        self._numbers_source = config.phone_number_ids
        self._numbers = frozenset(config.phone_number_ids)
        self._reset_ids()

    def _reset_ids(self) -> None:
        self._tag = f"{self._rng.getrandbits(32):08X}"
        self._seq = itertools.count(1)

    # --- public API ----------------------------------------------------------------------
    @property
    def config(self) -> SimulatorConfig:
        return self._config

    @property
    def faults(self) -> Faults:
        return self._config.faults

    @faults.setter
    def faults(self, faults: Faults) -> None:
        if problems := fault_problems(faults):
            raise ValueError("; ".join(problems))
        self._config.faults = faults

    @property
    def accepted(self) -> list[AcceptedMessage]:
        return self.ledger.accepted

    @property
    def webhooks(self) -> WebhookDispatcher:
        return self._webhooks

    def make_app(self) -> web.Application:
        from broadcaster.simulator.app import build_app

        return build_app(self)

    def running(self) -> AbstractAsyncContextManager[None]:
        """Background work (webhook posting) for as long as the app runs."""
        return self._webhooks.running()

    def set_access_token(self, token: str) -> None:
        """Rotate the token: the previous one is now answered with 190 (session expired)."""
        self._access.rotate(token)

    def max_in_window(self, phone_number_id: str, window_s: float = 1.0) -> int:
        """Most messages accepted from ``phone_number_id`` in any ``window_s`` window."""
        return _max_in_window(self.ledger.accept_times.get(phone_number_id, []), window_s)

    def report(self, include_messages: bool = False) -> dict[str, Any]:
        """JSON-able counts of everything seen; ``include_messages`` adds every message."""
        return build_report(self, include_messages)

    async def wait_webhooks_idle(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """Return once every queued webhook was posted or given up; else ``TimeoutError``."""
        await self._webhooks.wait_idle(timeout)

    def reset(self) -> None:
        """Back to the state after construction: records, limits, windows, faults, token."""
        self.ledger = Ledger()
        self._webhooks.reset(self.ledger)
        self._throughput.clear()
        self._pairs.clear()
        self._windows.clear()
        self._access.reset(self._initial_token)
        self._config.faults = dataclasses.replace(self._initial_faults)
        self._config.templates = self._initial_templates
        self._rng.seed(self._config.seed)
        self._reset_ids()

    async def set_template_status(
        self, name: str, language: str, status: str, reason: str = "NONE"
    ) -> bool:
        """Meta pauses, disables or reinstates a template: sends follow the new status, and
        a ``message_template_status_update`` webhook is posted (True if answered 2xx)."""
        status = status.upper()
        if status not in TEMPLATE_EVENTS:
            raise ValueError(f"status must be one of {sorted(TEMPLATE_EVENTS)}")
        found = [t for t in self._config.templates if (t.name, t.language) == (name, language)]
        if not found:
            raise ValueError(f"no template {name!r} in {language!r}")
        self._config.templates = tuple(
            dataclasses.replace(t, status=SENDABLE_AS.get(status, status)) if t is found[0] else t
            for t in self._config.templates
        )
        value = {
            "event": status,
            "message_template_id": abs(hash((name, language))) % 10**15,
            "message_template_name": name,
            "message_template_language": language,
            "reason": reason,
            "message_template_category": found[0].category,
        }
        if self._config.webhook_url is None:
            return False
        return await self._webhooks.post_value(value, "message_template_status_update")

    async def inject_inbound(
        self,
        from_number: str,
        *,
        text: str | None = None,
        button_payload: str | None = None,
        button_text: str | None = None,
        interactive_reply_id: str | None = None,
        interactive_reply_title: str | None = None,
        context_wamid: str | None = None,
        phone_number_id: str | None = None,
        profile_name: str = "",
    ) -> str:
        """A user writes: open their service window, count it as traffic, post the webhook.

        Returns the inbound message id once our endpoint has answered (or was given up).
        """
        request = InboundRequest(
            from_number,
            text,
            button_payload,
            button_text,
            interactive_reply_id,
            interactive_reply_title,
            context_wamid,
            phone_number_id,
            profile_name,
        )
        return await self.receive(request)

    async def receive(self, request: InboundRequest) -> str:
        """``inject_inbound`` with the fields in one object (the control plane's entry)."""
        number = request.phone_number_id or self._config.phone_number_ids[0]
        if number not in self._phone_numbers():
            raise ValueError(f"unknown phone_number_id {number!r}")
        value = inbound_value(self._config, request, number, self._new_id("IN"), time.time())
        message = value["messages"][0]
        now = time.monotonic()
        self._throughput.add(number, now)  # Meta: inbound counts against throughput
        self._windows.open(number, message["from"], now, self._config.service_window_s)
        self.ledger.inbound[message["type"]] += 1
        if self._config.webhook_url is not None:
            await self._webhooks.post_value(value)
        return str(message["id"])

    # --- Graph requests ------------------------------------------------------------------
    def handle_send(
        self, version: str, phone_number_id: str, token: str | None, body: bytes
    ) -> Reply:
        """Answer one ``POST /{version}/{phone_number_id}/messages``."""
        ledger = self.ledger
        ledger.requests["messages"] += 1
        try:
            self._access.authorize(token)
            self._access.check_node(version, phone_number_id, "post", self._phone_numbers())
            self._maybe_server_error()
            payload = parse_json(body)
            business_number = self._config.display_number(phone_number_id)
            request = validate_send(payload, self._templates(), business_number)
            if isinstance(request, ReadReceipt):
                ledger.marked_read += 1
                return Reply(200, READ_OK)
            now = time.monotonic()
            self._take_capacity(phone_number_id, request.wa_id, now)
        except GraphError as error:
            ledger.sync_errors[error.code] += 1
            return Reply.error(error)
        message = self._accept(phone_number_id, request, now)
        return self._reply(message)

    def check_read(self, version: str, node: str, token: str | None, *, waba: bool) -> None:
        """Token, version and id checks of a Graph GET (the WABA's or a phone number's)."""
        self._access.authorize(token)
        known = {self._config.waba_id} if waba else self._phone_numbers()
        self._access.check_node(version, node, "get", known)

    def _maybe_server_error(self) -> None:
        ratio = self._config.faults.error_5xx_ratio
        if ratio and self._rng.random() < ratio:
            self.ledger.faults["error_5xx"] += 1
            if self._rng.random() < 0.5:
                raise GraphError(codes.UNKNOWN_ERROR, codes.ASYNC_DETAILS[codes.UNKNOWN_ERROR])
            raise GraphError(codes.SERVICE_UNAVAILABLE, "A service is temporarily unavailable.")

    def _take_capacity(self, phone_number_id: str, wa_id: str, now: float) -> None:
        config = self._config
        faults = config.faults
        status = config.throttle_http_status
        if faults.throttle_burst > 0:
            faults.throttle_burst -= 1
            self.ledger.faults["throttle_burst"] += 1
            raise GraphError(codes.THROUGHPUT, codes.THROUGHPUT_DETAILS, http_status=status)
        if not self._throughput.has_room(phone_number_id, now, config.messages_per_second):
            raise GraphError(codes.THROUGHPUT, codes.THROUGHPUT_DETAILS, http_status=status)
        pair = (phone_number_id, wa_id)
        if not self._pairs.allows(pair, now, config.pair_interval_s, config.pair_burst):
            raise GraphError(codes.PAIR_RATE, codes.PAIR_DETAILS, http_status=status)
        self._pairs.take(pair, now, config.pair_interval_s, config.pair_burst)
        self._throughput.add(phone_number_id, now)

    def _accept(
        self, phone_number_id: str, request: OutboundRequest, now: float
    ) -> AcceptedMessage:
        template = request.template
        message = AcceptedMessage(
            wamid=self._new_id(""),
            phone_number_id=phone_number_id,
            to=request.to,
            wa_id=request.wa_id,
            type=request.type,
            template_name=template.name if template else None,
            template_language=template.language if template else None,
            template_category=template.category if template else None,
            params=list(request.params),
            text=request.text,
            interactive=request.interactive,
            biz_opaque_callback_data=request.biz_opaque_callback_data,
            context_wamid=request.context_wamid,
            accepted_at=now,
            accepted_at_unix=time.time(),
            in_service_window=self._windows.is_open(phone_number_id, request.wa_id, now),
        )
        self.ledger.record_accepted(message)
        self._webhooks.schedule(message, plan_statuses(message, self._config, self._rng))
        return message

    def _reply(self, message: AcceptedMessage) -> Reply:
        faults = self._config.faults
        delay = 0.0
        if faults.slow_ratio and self._rng.random() < faults.slow_ratio:
            self.ledger.faults["slow"] += 1
            delay = faults.slow_delay_s
        if faults.drop_ratio and self._rng.random() < faults.drop_ratio:
            self.ledger.faults["drop"] += 1
            message.response_dropped = True
            return Reply(200, b"", drop=True, delay_s=delay)
        return Reply(200, success_body(message), delay_s=delay)

    # --- helpers -------------------------------------------------------------------------
    def _new_id(self, kind: str) -> str:
        return f"wamid.SIM{kind}{self._tag}{next(self._seq):012X}"

    def _templates(self) -> TemplateCatalog:
        if self._catalog.templates is not self._config.templates:
            self._catalog = TemplateCatalog(self._config.templates)
        return self._catalog

    def _phone_numbers(self) -> frozenset[str]:
        ids = self._config.phone_number_ids
        if ids is not self._numbers_source:
            self._numbers_source, self._numbers = ids, frozenset(ids)
        return self._numbers
