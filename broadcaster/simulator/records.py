"""What the simulator saw: every accepted message and counts of everything else.

Tests and benchmarks read these instead of mocking the client: ``accepted`` says exactly
what reached "Meta", in order, and ``Ledger`` counts errors, statuses, faults and inbound.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class AcceptedMessage:
    """One message the simulator answered 200 to (or accepted and then dropped the answer).

    ``accepted_at`` is ``time.monotonic()``; ``accepted_at_unix`` the wall clock. ``statuses``
    grows as status webhooks are emitted; ``error_code`` is set when the flow ends ``failed``.
    """

    wamid: str
    phone_number_id: str
    to: str
    wa_id: str
    type: str
    template_name: str | None
    template_language: str | None
    template_category: str | None
    params: list[str]
    text: str | None
    interactive: dict[str, Any] | None
    biz_opaque_callback_data: str | None
    context_wamid: str | None
    accepted_at: float
    accepted_at_unix: float
    in_service_window: bool
    response_dropped: bool = False
    statuses: list[str] = field(default_factory=list)
    error_code: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {name: _jsonable(getattr(self, name)) for name in self.__slots__}


def _jsonable(value: Any) -> Any:
    return list(value) if isinstance(value, list | tuple) else value


@dataclass
class Ledger:
    """Counters the report and ``/metrics`` are built from; reset with the simulator."""

    accepted: list[AcceptedMessage] = field(default_factory=list)
    # phone number id -> monotonic accept times, in order (for max_in_window)
    accept_times: dict[str, list[float]] = field(default_factory=dict)
    requests: Counter[str] = field(default_factory=Counter)
    accepted_by_type: Counter[str] = field(default_factory=Counter)
    accepted_by_template: Counter[str] = field(default_factory=Counter)
    accepted_by_number: Counter[str] = field(default_factory=Counter)
    sync_errors: Counter[int] = field(default_factory=Counter)
    async_errors: Counter[int] = field(default_factory=Counter)
    statuses: Counter[str] = field(default_factory=Counter)
    faults: Counter[str] = field(default_factory=Counter)
    inbound: Counter[str] = field(default_factory=Counter)
    marked_read: int = 0

    def record_accepted(self, message: AcceptedMessage) -> None:
        self.accepted.append(message)
        number = message.phone_number_id
        times = self.accept_times.get(number)
        if times is None:
            times = self.accept_times[number] = []
        times.append(message.accepted_at)
        self.accepted_by_type[message.type] += 1
        self.accepted_by_number[number] += 1
        if message.template_name is not None:
            self.accepted_by_template[f"{message.template_name}/{message.template_language}"] += 1

    def record_status(self, message: AcceptedMessage, status: str, code: int | None) -> None:
        message.statuses.append(status)
        self.statuses[status] += 1
        if code is not None:
            message.error_code = code
            self.async_errors[code] += 1
