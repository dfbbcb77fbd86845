"""Settings: ``config.toml`` merged with ``BROADCASTER_<SECTION>__<KEY>`` environment overrides.

The only module that reads the environment. ``load_settings`` returns one frozen ``Settings``
or raises ``ConfigError`` listing every bad key, one line each. Secrets (``Secret`` fields) can
also be given as ``<key>_file`` holding a path; their values never appear in a repr or a log.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal, get_args, get_origin, get_type_hints

from broadcaster.domain.contacts import LABEL, WHATSAPP
from broadcaster.domain.policy import Policy
from broadcaster.errors import ConfigError
from broadcaster.intake_settings import IntakeSettings
from broadcaster.recovery_settings import (
    CadenceSettings,
    CompensationSettings,
    FollowUpSettings,
    VoucherSettings,
)
from broadcaster.typed_config import EnvString, Problems, Secret, build

ENV_PREFIX = "BROADCASTER_"
CONFIG_ENV = "BROADCASTER_CONFIG"
DEFAULT_CONFIG = Path("config.toml")
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


@dataclass(frozen=True)
class AppSettings:
    business_name: str = "NusaNet"
    default_language: str = "id"
    default_timezone: str = "Asia/Jakarta"
    default_phone_region: str = "ID"
    public_url: str = "http://127.0.0.1:8080"
    commit: str = ""  # set by the container image; /healthz reports it

    def problems(self) -> list[tuple[str, str]]:
        from zoneinfo import available_timezones

        from broadcaster.domain.phones import known_region

        out = []
        if self.default_timezone not in available_timezones():
            out.append(("default_timezone", f"unknown IANA time zone {self.default_timezone!r}"))
        if not known_region(self.default_phone_region):
            region = self.default_phone_region
            out.append(("default_phone_region", f"unknown ISO 3166 region {region!r}"))
        return out


@dataclass(frozen=True)
class RedisSettings:
    url: str = DEFAULT_REDIS_URL
    key_prefix: str = "ob"
    queue_name: str = "ob:queue"
    # "auto": start a private redis-server when `url` was not set and nothing answers on it.
    embedded: Literal["auto", "never"] = "auto"
    sentinels: list[str] = field(default_factory=list)
    sentinel_master: str = "mymaster"
    url_was_set: bool = False  # filled in by load_settings, not by the file

    def problems(self) -> list[tuple[str, str]]:
        if not self.url.startswith(("redis://", "rediss://", "unix://")):
            return [("url", f"expected a redis://, rediss:// or unix:// URL, got {self.url!r}")]
        return []


def _port_problems(name: str, port: int) -> list[tuple[str, str]]:
    return [] if 0 <= port <= 65535 else [(name, f"expected a TCP port 0-65535, got {port}")]


@dataclass(frozen=True)
class HttpSettings:
    host: str = "127.0.0.1"
    port: int = 8080
    max_body_bytes: int = 1024 * 1024
    whatsapp_max_body_bytes: int = 4 * 1024 * 1024
    shutdown_timeout: timedelta = timedelta(seconds=10)

    def problems(self) -> list[tuple[str, str]]:
        out = _port_problems("port", self.port)
        if self.whatsapp_max_body_bytes < 4 * 1024 * 1024:
            out.append(("whatsapp_max_body_bytes", "Meta batches can reach ~3 MB: use >= 4194304"))
        return out


@dataclass(frozen=True)
class WorkerSettings:
    metrics_host: str = "127.0.0.1"
    metrics_port: int = 9091
    max_jobs: int = 16
    # chunks one worker sends at once: the rest of the window is left to other workers
    max_chunks: int = 4
    job_timeout: timedelta = timedelta(minutes=5)
    # a chunk job stops claiming recipients after this long and re-queues itself
    soft_deadline: timedelta = timedelta(minutes=2)
    max_tries: int = 1000
    poll_delay: timedelta = timedelta(milliseconds=100)
    # a chunk waiting for held recipients looks again at least this often
    max_defer: timedelta = timedelta(seconds=60)

    def problems(self) -> list[tuple[str, str]]:
        out = []
        if self.soft_deadline >= self.job_timeout:
            out.append(("soft_deadline", "must be shorter than job_timeout"))
        if not 1 <= self.max_chunks <= self.max_jobs:
            out.append(("max_chunks", "expected between 1 and max_jobs"))
        out += _port_problems("metrics_port", self.metrics_port)
        return out


@dataclass(frozen=True)
class LogSettings:
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    format: Literal["json", "console"] = "json"


@dataclass(frozen=True)
class WhatsAppSettings:
    api_base_url: str = "https://graph.facebook.com"
    api_version: str = "v24.0"
    access_token: Secret = Secret("")
    app_secret: Secret = Secret("")
    verify_token: Secret = Secret("")
    waba_id: str = ""
    phone_number_ids: list[str] = field(default_factory=list)
    # Meta's throughput per number (80 by default, up to 1000); we pace at rate * safety.
    messages_per_second: float = 80.0
    rate_safety: float = 0.9
    per_number_rate: dict[str, float] = field(default_factory=dict)
    # Unique users per rolling 24 h for the business portfolio; 0 = unlimited.
    messaging_limit: int = 0
    pair_interval: timedelta = timedelta(seconds=6)
    request_timeout: timedelta = timedelta(seconds=30)
    connect_timeout: timedelta = timedelta(seconds=5)
    max_in_flight: int = 64
    # an ambiguous send (timeout, reset, 5xx) is resent only if no status webhook came by then
    reconcile_after: timedelta = timedelta(minutes=2)

    def problems(self) -> list[tuple[str, str]]:
        out = []
        if not 0 < self.rate_safety <= 1:
            out.append(("rate_safety", "expected a fraction in (0, 1]"))
        if self.messages_per_second <= 0:
            out.append(("messages_per_second", "must be positive"))
        if not self.api_base_url.startswith(("http://", "https://")):
            out.append(("api_base_url", "expected an http(s) URL"))
        if self.reconcile_after <= self.request_timeout:
            # a slow but successful send must not be mistaken for a lost one and resent
            out.append(("reconcile_after", "must be longer than request_timeout"))
        return out


@dataclass(frozen=True)
class BroadcastSettings:
    # recipients per chunk job; a killed worker's chunk is retried after worker.job_timeout
    chunk_size: int = 500
    # chunks of one broadcast sending at once; more spreads it over more workers, fewer
    # keeps the send order closer to the tier order
    parallel_chunks: int = 8
    # give up on a recipient after this many send attempts (retries and reconciled unknowns)
    max_attempts: int = 8
    # share of each incident's audience deliberately not notified, to measure deflection
    holdout_percent: float = 0.0
    holdout_on_critical: bool = False

    def problems(self) -> list[tuple[str, str]]:
        out = []
        if not 1 <= self.chunk_size <= 10_000:
            out.append(("chunk_size", "expected 1-10000"))
        if self.parallel_chunks < 1:
            out.append(("parallel_chunks", "expected at least 1"))
        if not 1 <= self.max_attempts <= 250:
            out.append(("max_attempts", "expected 1-250"))
        if not 0 <= self.holdout_percent <= 50:
            out.append(("holdout_percent", "expected a percentage 0-50"))
        return out


def _opt_out_words() -> dict[str, list[str]]:
    return {
        "id": ["STOP", "BERHENTI", "BERHENTI BERLANGGANAN", "JANGAN KIRIM"],
        "en": ["STOP", "UNSUBSCRIBE", "STOP ALL", "CANCEL"],
    }


def _opt_in_words() -> dict[str, list[str]]:
    return {"id": ["MULAI", "START"], "en": ["START", "SUBSCRIBE", "UNSTOP"]}


@dataclass(frozen=True)
class InboundSettings:
    # answer a customer affected by an active incident with its status and ETA (free-form
    # text inside the 24 h window their message opened); unknown numbers get nothing
    auto_reply: bool = True
    # the same answer is not sent twice to one customer within this time
    auto_reply_cooldown: timedelta = timedelta(minutes=10)
    # incidents that started longer ago are not considered for answers
    incident_lookback: timedelta = timedelta(days=14)
    # a message that is exactly one of these (any case, any language) opts the sender out
    opt_out_keywords: dict[str, list[str]] = field(default_factory=_opt_out_words)
    opt_in_keywords: dict[str, list[str]] = field(default_factory=_opt_in_words)


def _utility_prices() -> dict[str, float]:
    # USD per delivered message, Meta's base rates effective 1 Jan 2026 (whatsapp.md §6)
    return {"62": 0.025, "91": 0.0014, "55": 0.0068, "44": 0.022, "1": 0.0034, "default": 0.02}


def _marketing_prices() -> dict[str, float]:
    return {"62": 0.0411, "91": 0.0118, "55": 0.0625, "44": 0.0529, "1": 0.025, "default": 0.05}


@dataclass(frozen=True)
class PricingSettings:
    currency: str = "USD"
    utility: dict[str, float] = field(default_factory=_utility_prices)
    marketing: dict[str, float] = field(default_factory=_marketing_prices)
    authentication: dict[str, float] = field(default_factory=lambda: {"default": 0.02})
    service: dict[str, float] = field(default_factory=lambda: {"default": 0.0})

    def problems(self) -> list[tuple[str, str]]:
        out = []
        for name in ("utility", "marketing", "authentication", "service"):
            table = getattr(self, name)
            if "default" not in table:
                out.append((name, "needs a 'default' price"))
            if any(price < 0 for price in table.values()):
                out.append((name, "prices must not be negative"))
        return out


@dataclass(frozen=True)
class ApiToken:
    """A bearer token defined in configuration (its value from the environment or a file)."""

    role: Literal["viewer", "commander", "admin"] = "viewer"
    token: Secret = Secret("")

    def problems(self) -> list[tuple[str, str]]:
        if len(self.token.reveal()) < 16:
            return [("token", "required, at least 16 characters (set it in the environment)")]
        return []


@dataclass(frozen=True)
class ApiSettings:
    bootstrap_token: Secret = Secret("")
    # name -> {role, token}: tokens from configuration, next to those `tokens create` stores
    tokens: dict[str, ApiToken] = field(default_factory=dict)
    # what the CLI's incident/report verbs present; empty = the bootstrap token
    token: Secret = Secret("")
    # where the CLI finds the API; empty = http://<http.host>:<http.port>
    url: str = ""


@dataclass(frozen=True)
class TierSettings:
    # highest priority first: notified first, compensated most
    order: list[str] = field(default_factory=lambda: ["platinum", "gold", "silver", "standard"])
    default: str = "standard"

    def problems(self) -> list[tuple[str, str]]:
        if self.default not in self.order:
            return [("default", f"{self.default!r} is not in tiers.order")]
        return []


def _contact_channels() -> list[str]:
    return ["voice", "email", "chat", "helpdesk", "sms", "social", "other"]


@dataclass(frozen=True)
class DeflectionSettings:
    # what one contact handled by an agent costs; 0 = cost saved is not reported
    cost_per_contact: float = 0.0
    currency: str = "USD"
    # contacts this long after the resolution still count toward the incident
    tail: timedelta = timedelta(hours=1)
    # baseline: the incident's hours, this much earlier, averaged over this many periods
    baseline_offset: timedelta = timedelta(days=7)
    baseline_periods: int = 4
    # how long contact records are kept (for baselines); per-incident results are kept
    retention: timedelta = timedelta(days=35)
    # channels other systems report contacts on (POST /api/v1/contacts)
    channels: list[str] = field(default_factory=_contact_channels)
    # points on the report's timeline and chart
    timeline_points: int = 49

    def problems(self) -> list[tuple[str, str]]:
        out = []
        if self.cost_per_contact < 0:
            out.append(("cost_per_contact", "must not be negative"))
        if not 0 <= self.baseline_periods <= 52:
            out.append(("baseline_periods", "expected 0-52"))
        if self.retention < self.baseline_offset * self.baseline_periods + timedelta(days=1):
            out.append(("retention", "must exceed baseline_offset x baseline_periods + 1d"))
        bad = [c for c in self.channels if c == WHATSAPP or not LABEL.match(c)]
        if bad or not self.channels:
            out.append(("channels", "lower-case labels other than whatsapp, at least one"))
        if not 2 <= self.timeline_points <= 500:
            out.append(("timeline_points", "expected 2-500"))
        return out


@dataclass(frozen=True)
class CustomerSettings:
    # attributes that get an index (segments select on them); empty = every attribute column
    indexed_attributes: list[str] = field(default_factory=list)
    # an import that would give one indexed attribute more distinct values is refused
    max_values_per_attribute: int = 1000
    # customers per Redis call during an import
    import_batch_size: int = 1000
    # customers per POST /api/v1/customers
    api_batch_limit: int = 1000

    def problems(self) -> list[tuple[str, str]]:
        from broadcaster.domain.customers import attribute_name_problem

        out = []
        for name in self.indexed_attributes:
            problem = attribute_name_problem(name)
            if problem is not None:
                out.append(("indexed_attributes", f"{name!r}: {problem}"))
        if self.max_values_per_attribute < 1:
            out.append(("max_values_per_attribute", "must be at least 1"))
        if not 1 <= self.import_batch_size <= 10_000:
            out.append(("import_batch_size", "expected 1-10000"))
        if not 1 <= self.api_batch_limit <= 10_000:
            out.append(("api_batch_limit", "expected 1-10000"))
        return out


@dataclass(frozen=True)
class PathSettings:
    templates: str = "templates"
    segments: str = "segments"
    # free-form answers (not WhatsApp templates), one table per language
    replies: str = "templates/replies.toml"


@dataclass(frozen=True)
class SimulatorSettings:
    host: str = "127.0.0.1"
    port: int = 8090
    # where the simulator posts signed status webhooks and inbound messages
    webhook_url: str = "http://127.0.0.1:8080/webhooks/whatsapp"
    messages_per_second: int = 80
    pair_interval: timedelta = timedelta(seconds=6)


@dataclass(frozen=True)
class Settings:
    app: AppSettings = field(default_factory=AppSettings)
    redis: RedisSettings = field(default_factory=RedisSettings)
    http: HttpSettings = field(default_factory=HttpSettings)
    worker: WorkerSettings = field(default_factory=WorkerSettings)
    log: LogSettings = field(default_factory=LogSettings)
    whatsapp: WhatsAppSettings = field(default_factory=WhatsAppSettings)
    broadcast: BroadcastSettings = field(default_factory=BroadcastSettings)
    inbound: InboundSettings = field(default_factory=InboundSettings)
    pricing: PricingSettings = field(default_factory=PricingSettings)
    cadence: CadenceSettings = field(default_factory=CadenceSettings)
    compensation: CompensationSettings = field(default_factory=CompensationSettings)
    vouchers: VoucherSettings = field(default_factory=VoucherSettings)
    followup: FollowUpSettings = field(default_factory=FollowUpSettings)
    api: ApiSettings = field(default_factory=ApiSettings)
    tiers: TierSettings = field(default_factory=TierSettings)
    deflection: DeflectionSettings = field(default_factory=DeflectionSettings)
    customers: CustomerSettings = field(default_factory=CustomerSettings)
    paths: PathSettings = field(default_factory=PathSettings)
    simulator: SimulatorSettings = field(default_factory=SimulatorSettings)
    intake: IntakeSettings = field(default_factory=IntakeSettings)
    policy: Policy = field(default_factory=Policy)
    source: str = "defaults"

    def secrets(self) -> list[str]:
        """Every non-empty secret value, for the log scrubber."""
        return [s.reveal() for s in _walk_secrets(self) if s]


def load_settings(path: Path | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    """Load, merge and validate; raise ``ConfigError`` naming every bad key."""
    environ = os.environ if environ is None else environ
    problems = Problems()
    path = path or (Path(environ[CONFIG_ENV]) if environ.get(CONFIG_ENV) else None)
    raw: dict[str, Any] = {}
    source = "defaults"
    if path is not None or DEFAULT_CONFIG.exists():
        source = str(path or DEFAULT_CONFIG)
        raw = _read_toml(path or DEFAULT_CONFIG, problems)
    _apply_env(raw, environ, problems)
    _read_secret_files(raw, Settings, problems, "")
    redis_raw = raw.get("redis")
    # "explicitly configured": set in the environment, or a file naming a non-default URL
    url_set = "BROADCASTER_REDIS__URL" in environ or (
        isinstance(redis_raw, dict) and redis_raw.get("url", DEFAULT_REDIS_URL) != DEFAULT_REDIS_URL
    )
    if isinstance(redis_raw, dict):
        redis_raw.pop("url_was_set", None)
    settings = build(Settings, {k: v for k, v in raw.items() if k != "source"}, problems)
    if "source" in raw:
        problems.add("source", "unknown key")
    if problems.items:
        raise ConfigError(problems.lines())
    redis = dataclasses.replace(settings.redis, url_was_set=url_set)
    return dataclasses.replace(settings, redis=redis, source=source)


def _read_toml(path: Path, problems: Problems) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        problems.add("", f"{path}: config file not found")
    except tomllib.TOMLDecodeError as exc:
        problems.add("", f"{path}: not valid TOML: {exc}")
    except OSError as exc:
        problems.add("", f"{path}: cannot read: {exc.strerror}")
    return {}


def _apply_env(raw: dict[str, Any], environ: Mapping[str, str], problems: Problems) -> None:
    for name, value in sorted(environ.items()):
        if not name.startswith(ENV_PREFIX) or name == CONFIG_ENV:
            continue
        keys = name[len(ENV_PREFIX) :].lower().split("__")
        if len(keys) < 2 or not all(keys):
            problems.add(name, "expected BROADCASTER_<SECTION>__<KEY>")
            continue
        node = raw
        for key in keys[:-1]:
            child = node.setdefault(key, {})
            if not isinstance(child, dict):
                problems.add(name, f"{key} is not a table")
                break
            node = child
        else:
            node[keys[-1]] = EnvString(value)


def _read_secret_files(raw: dict[str, Any], cls: Any, problems: Problems, path: str) -> None:
    hints = get_type_hints(cls)
    for f in dataclasses.fields(cls):
        tp = hints[f.name]
        key = f"{path}.{f.name}" if path else f.name
        if dataclasses.is_dataclass(tp) and isinstance(raw.get(f.name), dict):
            _read_secret_files(raw[f.name], tp, problems, key)
        elif get_origin(tp) is dict and isinstance(raw.get(f.name), dict):
            entry_tp = get_args(tp)[1]
            for name, entry in raw[f.name].items():
                if dataclasses.is_dataclass(entry_tp) and isinstance(entry, dict):
                    _read_secret_files(entry, entry_tp, problems, f"{key}.{name}")
        elif tp is Secret and f"{f.name}_file" in raw:
            file_path = raw.pop(f"{f.name}_file")
            try:
                raw[f.name] = Path(str(file_path)).read_text(encoding="utf-8").strip()
            except (OSError, UnicodeDecodeError) as exc:
                problems.add(f"{key}_file", f"cannot read secret file {file_path!r}: {exc}")


def _walk_secrets(node: Any) -> list[Secret]:
    if isinstance(node, Secret):
        return [node]
    if dataclasses.is_dataclass(node):
        children: Any = [getattr(node, f.name) for f in dataclasses.fields(node)]
    elif isinstance(node, dict):
        children = node.values()
    elif isinstance(node, list | tuple):
        children = node
    else:
        return []
    return [secret for child in children for secret in _walk_secrets(child)]
