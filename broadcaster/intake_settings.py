"""The ``[intake]`` section of the settings: receivers' credentials, polls, de-flapping timers.

Plain frozen dataclasses validated by ``typed_config.build`` like every other section;
config.py composes them into ``Settings``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from broadcaster.typed_config import Secret


def _every_problem(key: str, every: timedelta) -> list[tuple[str, str]]:
    """Cron periods: whole seconds that divide a minute, so the schedule is the same each minute."""
    seconds = every.total_seconds()
    if seconds != int(seconds) or not 1 <= seconds <= 60 or 60 % int(seconds):
        return [(key, "expected whole seconds that divide 60 (1s, 2s, 5s, 10s, 15s, 30s, 60s)")]
    return []


def _url_problem(key: str, url: str) -> list[tuple[str, str]]:
    if url and not url.startswith(("http://", "https://")):
        return [(key, f"expected an http(s) URL or empty, got {url!r}")]
    return []


@dataclass(frozen=True)
class WebhookAuth:
    """What a sender presents: a bearer token or basic auth. Empty: nothing is required."""

    bearer_token: Secret = Secret("")
    basic_username: str = ""
    basic_password: Secret = Secret("")

    def problems(self) -> list[tuple[str, str]]:
        if bool(self.basic_username) != bool(self.basic_password):
            return [("basic_username", "basic auth needs both basic_username and basic_password")]
        return []


@dataclass(frozen=True)
class AlertmanagerIntake(WebhookAuth):
    # Alertmanager's base URL for the reconciliation poll (GET /api/v2/alerts); empty = off
    api_url: str = ""
    reconcile_every: timedelta = timedelta(seconds=60)

    def problems(self) -> list[tuple[str, str]]:
        return (
            super().problems()
            + _url_problem("api_url", self.api_url)
            + _every_problem("reconcile_every", self.reconcile_every)
        )


def _grafana_query_alerts() -> list[str]:
    return ["DatasourceNoData", "DatasourceError"]


@dataclass(frozen=True)
class GrafanaIntake(WebhookAuth):
    hmac_secret: Secret = Secret("")
    hmac_header: str = "X-Grafana-Alerting-Signature"
    # set when the contact point names a timestamp header: then "<ts>:<body>" is signed
    hmac_timestamp_header: str = ""
    ignore_alertnames: list[str] = field(default_factory=_grafana_query_alerts)


@dataclass(frozen=True)
class PagerDutyIntake:
    signing_secret: Secret = Secret("")


@dataclass(frozen=True)
class StatuspageIntake:
    # required in the URL path (/webhooks/statuspage/<token>) or as ?token=, when set
    token: Secret = Secret("")
    # declare from component status changes too (off: incidents only)
    components: bool = False
    # a Statuspage-style public API to poll, e.g. https://status.example.com/api/v2; empty = off
    api_url: str = ""
    poll_every: timedelta = timedelta(seconds=30)
    sweep_every: timedelta = timedelta(minutes=15)

    def problems(self) -> list[tuple[str, str]]:
        return _url_problem("api_url", self.api_url) + _every_problem("poll_every", self.poll_every)


def _scope_labels() -> list[str]:
    return ["service", "region"]


@dataclass(frozen=True)
class IntakeSettings:
    # alerts whose values of these labels agree make one incident
    scope_labels: list[str] = field(default_factory=_scope_labels)
    fire_for: timedelta = timedelta(minutes=2)
    resolve_after: timedelta = timedelta(minutes=5)
    reopen_cooldown: timedelta = timedelta(minutes=30)
    evaluate_every: timedelta = timedelta(seconds=5)
    signal_retention: timedelta = timedelta(days=7)
    max_body_bytes: int = 2 * 1024 * 1024
    alertmanager: AlertmanagerIntake = field(default_factory=AlertmanagerIntake)
    grafana: GrafanaIntake = field(default_factory=GrafanaIntake)
    pagerduty: PagerDutyIntake = field(default_factory=PagerDutyIntake)
    statuspage: StatuspageIntake = field(default_factory=StatuspageIntake)

    def problems(self) -> list[tuple[str, str]]:
        out = _every_problem("evaluate_every", self.evaluate_every)
        if not 1024 <= self.max_body_bytes <= 64 * 1024 * 1024:
            out.append(("max_body_bytes", "expected 1024 to 67108864 bytes"))
        if self.signal_retention < timedelta(hours=1):
            out.append(("signal_retention", "keep signals at least 1h"))
        return out
