"""What to do about a failed send: Meta's error table as one classification.

Meta says to branch on the Graph error ``code`` (not the message or the HTTP status). Sources:
the Cloud API error-codes page and the throughput/messaging-limit pages (see
../docs/decisions.md and reference notes). Ambiguous outcomes — a timeout after the request
was written, a reset connection, a 5xx — may have been delivered: they become ``UNKNOWN`` and
are resent only if no status webhook reports them (Meta has no idempotency key).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum


class Action(StrEnum):
    RETRY = "retry"  # definitely not sent: try the same message again after a backoff
    RESCHEDULE = "reschedule"  # this recipient only, later (pair rate limit)
    FAIL = "fail"  # permanent for this recipient
    UNKNOWN = "unknown"  # maybe sent: reconcile from status webhooks before any resend
    PAUSE_NUMBER = "pause_number"  # this sender number must back off (app/WABA limits, spam)
    PAUSE_BROADCAST = "pause_broadcast"  # template or request mapping broken: a human must look
    PAUSE_ACCOUNT = "pause_account"  # token or account unusable: stop everything, alert


@dataclass(frozen=True, slots=True)
class Verdict:
    action: Action
    code: int
    reason: str
    backoff: timedelta | None = None  # how long the number or message should wait, if known


_ACCOUNT = {0: "token", 190: "token", 3: "permission", 10: "permission", 131005: "permission"}
_ACCOUNT |= {368: "account_restricted", 131031: "account_locked", 131042: "payment"}
_ACCOUNT |= {133010: "number_not_registered"}
_NUMBER = {4: ("app_rate_limit", 60), 80007: ("waba_rate_limit", 60), 131057: ("maintenance", 60)}
_NUMBER |= {131048: ("spam_rate_limit", 3 * 3600)}
_TEMPLATE = {132000: "template_parameters", 132001: "template_missing", 132015: "template_paused"}
_TEMPLATE |= {132016: "template_disabled", 132012: "template_parameter_format"}
_PERMANENT = {131026: "undeliverable", 131021: "recipient_is_sender", 131008: "missing_parameter"}
_PERMANENT |= {131009: "invalid_parameter", 100: "invalid_parameter", 132005: "text_too_long"}
_PERMANENT |= {132007: "format_policy", 132018: "parameter_format", 130497: "country_blocked"}
_PERMANENT |= {131049: "marketing_cap", 131050: "marketing_stopped", 131051: "unsupported_type"}
_PERMANENT |= {131052: "media_download", 131053: "media_upload", 131047: "window_closed"}
_RETRY = {130429: ("throughput", 1), 131000: ("unknown_error", 2), 131016: ("unavailable", 2)}
_RETRY |= {1: ("unknown_error", 2), 2: ("unavailable", 2)}


def classify(code: int | None, http_status: int) -> Verdict:
    """Classify a synchronous error answer; ``code`` is None when there was no Graph body."""
    if code is None or (code == 0 and http_status != 401):
        return _without_graph_code(http_status)
    if code in _ACCOUNT or 200 <= code <= 299:
        return Verdict(Action.PAUSE_ACCOUNT, code, _ACCOUNT.get(code, "permission"))
    if code in _NUMBER:
        reason, seconds = _NUMBER[code]
        return Verdict(Action.PAUSE_NUMBER, code, reason, timedelta(seconds=seconds))
    if code in _TEMPLATE:
        return Verdict(Action.PAUSE_BROADCAST, code, _TEMPLATE[code])
    if code == 131056:
        return Verdict(Action.RESCHEDULE, code, "pair_rate_limit", timedelta(seconds=6))
    if code in _PERMANENT:
        return Verdict(Action.FAIL, code, _PERMANENT[code])
    if code in _RETRY and http_status < 500:
        reason, seconds = _RETRY[code]
        return Verdict(Action.RETRY, code, reason, timedelta(seconds=seconds))
    if http_status >= 500:
        # Meta may have accepted the message before failing: never resend blindly
        return Verdict(Action.UNKNOWN, code, "server_error")
    return Verdict(Action.FAIL, code, "client_error")


def _without_graph_code(http_status: int) -> Verdict:
    """A proxy or load balancer answered, not the Graph API: judge by the HTTP status."""
    if http_status >= 500:
        return Verdict(Action.UNKNOWN, 0, "server_error")
    if http_status == 401:
        return Verdict(Action.PAUSE_ACCOUNT, 0, "token")
    if http_status == 429:
        return Verdict(Action.RETRY, 0, "throughput", timedelta(seconds=1))
    return Verdict(Action.FAIL, 0, "client_error")


def classify_transport(written: bool) -> Verdict:
    """A request that got no answer: not sent if it never left, else maybe sent."""
    if not written:
        return Verdict(Action.RETRY, 0, "connect_error", timedelta(seconds=1))
    return Verdict(Action.UNKNOWN, 0, "no_response")


def classify_async(code: int) -> Verdict:
    """A ``failed`` status webhook: the message was accepted, then not delivered."""
    if code == 130429:
        return Verdict(Action.RETRY, code, "throughput", timedelta(seconds=1))
    if code in _NUMBER:
        reason, seconds = _NUMBER[code]
        return Verdict(Action.PAUSE_NUMBER, code, reason, timedelta(seconds=seconds))
    if code in _ACCOUNT:
        return Verdict(Action.PAUSE_ACCOUNT, code, _ACCOUNT[code])
    return Verdict(Action.FAIL, code, _PERMANENT.get(code, "not_delivered"))


def number_wait(verdict: Verdict) -> timedelta | None:
    """How long every sender of the number must hold off after this answer, sync or async:
    a throughput refusal (130429, however it was classified) or a number-level limit."""
    if verdict.code == 130429:
        return timedelta(seconds=1)
    if verdict.action is Action.PAUSE_NUMBER:
        return verdict.backoff
    return None


def backoff(attempt: int, base: float = 1.0, cap: float = 60.0) -> timedelta:
    """Exponential backoff 1, 2, 4... seconds, capped (jitter is added by the scheduler)."""
    return timedelta(seconds=min(cap, base * (2 ** max(0, attempt - 1))))


def pair_backoff(attempt: int) -> timedelta:
    """Meta's advice for 131056: wait 4^X seconds (1, 4, 16, 64, 256)."""
    return timedelta(seconds=min(256, 4 ** max(0, attempt - 1)))
