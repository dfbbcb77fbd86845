"""The simulator's settings: the fake business account, Meta's limits and the status flow.

Plain mutable dataclass: the simulator reads it on every request, so a test may change a
limit (``sim.config.messages_per_second = 5``) while it runs. Defaults are Meta's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from broadcaster.simulator.catalog import ApprovedTemplate
from broadcaster.simulator.faults import Faults, fault_problems

SERVICE_WINDOW_S = 24 * 3600.0


@dataclass
class SimulatorConfig:
    """Everything the simulator needs; see docs/simulator.md for each field's effect."""

    # well-known test values, not secrets: the simulator is a local stand-in
    access_token: str = "sim-access-token"  # noqa: S105
    app_secret: str = "sim-app-secret"  # noqa: S105
    waba_id: str = "100000000000001"
    phone_number_ids: tuple[str, ...] = ("1000000000001",)
    # phone number id -> display number (digits); default "1555" + the id's last 7 digits
    display_phone_numbers: Mapping[str, str] = field(default_factory=dict)
    templates: tuple[ApprovedTemplate, ...] = ()
    # per phone number id in any sliding 1 s window, 0 = uncapped; inbound counts too
    messages_per_second: int = 80
    # Meta's table says 400 for 130429/131056; older copies say 429
    throttle_http_status: int = 400
    # one message per interval per (number, recipient) after pair_burst back to back; 0 = off
    # (Meta: one per 6 s, bursts of up to 45 that borrow from later turns)
    pair_interval_s: float = 6.0
    pair_burst: int = 45
    # customer service window opened by an inbound message (Meta: 24 h)
    service_window_s: float = SERVICE_WINDOW_S
    # where signed webhooks go; None = statuses only counted in the report
    webhook_url: str | None = None
    webhook_batch_max: int = 100
    webhook_flush_interval_s: float = 0.05
    # wait before each retry of a webhook POST our endpoint refused; then it is given up
    webhook_retry_delays_s: tuple[float, ...] = (0.05, 0.2, 1.0)
    webhook_timeout_s: float = 5.0
    webhook_concurrency: int = 4
    # delay before `sent`, and between `sent`->`delivered`->`read` (uniform in the range)
    status_delay_s: tuple[float, float] = (0.0, 0.05)
    delivered_ratio: float = 1.0
    read_ratio: float = 0.5
    undeliverable_numbers: frozenset[str] = frozenset()
    marketing_stopped_numbers: frozenset[str] = frozenset()
    faults: Faults = field(default_factory=Faults)
    seed: int | None = None

    def display_number(self, phone_number_id: str) -> str:
        """The business number (digits) behind ``phone_number_id``."""
        configured = self.display_phone_numbers.get(phone_number_id)
        return configured or "1555" + phone_number_id[-7:].rjust(7, "0")

    def problems(self) -> list[str]:
        """One line per invalid setting."""
        out = []
        if not self.phone_number_ids:
            out.append("phone_number_ids must not be empty")
        if self.messages_per_second < 0:
            out.append("messages_per_second must be >= 0")
        if self.throttle_http_status not in (400, 429):
            out.append("throttle_http_status must be 400 or 429")
        if self.pair_interval_s < 0 or self.pair_burst < 1:
            out.append("pair_interval_s must be >= 0 and pair_burst >= 1")
        low, high = self.status_delay_s
        if not 0 <= low <= high:
            out.append("status_delay_s must be (low, high) with 0 <= low <= high")
        for name in ("delivered_ratio", "read_ratio"):
            if not 0 <= getattr(self, name) <= 1:
                out.append(f"{name} must be within [0, 1]")
        if self.webhook_batch_max < 1 or self.webhook_concurrency < 1:
            out.append("webhook_batch_max and webhook_concurrency must be >= 1")
        return out + fault_problems(self.faults)
