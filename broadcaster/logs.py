"""Structured logging: one JSON object per line, phone numbers masked, secrets removed.

Every process calls ``setup_logging`` once at start. Modules log events with a stable message
and context as ``extra`` fields: ``logger.info("message sent", extra={"broadcast_id": b})``.
The scrubber runs on the rendered message and every string field, so a phone number or token
that slips into a log line is masked there, not only where we remembered to mask it.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, TextIO

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")

# 9-15 digits, optionally after "+": E.164 numbers and national forms such as 0812xxxxxxx.
_PHONE = re.compile(r"(?<![\w.:-])\+?\d{9,15}(?![\w.])")
_STANDARD_ATTRS = frozenset(
    vars(logging.LogRecord("", 0, "", 0, "", None, None)).keys() | {"message", "asctime"}
)


def mask_phone(text: str) -> str:
    """``+6281234567890`` -> ``+62812****7890``: tells customers apart, cannot call them."""
    digits_start = 1 if text.startswith("+") else 0
    digits = text[digits_start:]
    if len(digits) < 9:
        return text
    return text[: digits_start + 5] + "****" + digits[-4:]


class Scrubber:
    """Masks phone numbers and removes known secret values from strings."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: list[str] = []
        self.add(secrets)

    def add(self, secrets: Iterable[str]) -> None:
        """Remove these values too (values under 4 characters would mask ordinary text)."""
        known = set(self._secrets) | {s for s in secrets if len(s) >= 4}
        self._secrets = sorted(known, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, "***")
        return _PHONE.sub(lambda m: mask_phone(m.group(0)), text)


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, event, request_id, extras."""

    def __init__(self, scrub: Scrubber) -> None:
        super().__init__()
        self.scrub = scrub

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
        }
        rid = request_id.get()
        if rid:
            entry["request_id"] = rid
        for key, value in record.__dict__.items():
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        # every value before encoding (JSON escaping could hide a secret), then the whole line
        return self.scrub(json.dumps(self._clean(entry), ensure_ascii=False))

    def _clean(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.scrub(value)
        if isinstance(value, dict):
            return {str(k): self._clean(v) for k, v in value.items()}
        if isinstance(value, list | tuple | set | frozenset):
            return [self._clean(v) for v in value]
        if value is None or isinstance(value, bool | int | float):
            return value
        return self.scrub(str(value))


class ConsoleFormatter(logging.Formatter):
    """Human-friendly single lines for a terminal; same scrubbing as JSON."""

    def __init__(self, scrub: Scrubber) -> None:
        super().__init__()
        self.scrub = scrub

    def format(self, record: logging.LogRecord) -> str:
        extras = " ".join(
            f"{k}={v}"
            for k, v in record.__dict__.items()
            if k not in _STANDARD_ATTRS and not k.startswith("_")
        )
        stamp = datetime.fromtimestamp(record.created, UTC).strftime("%H:%M:%S")
        line = f"{stamp} {record.levelname:<7} {record.name}: {record.getMessage()} {extras}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return self.scrub(line.rstrip())


def setup_logging(
    level: str = "INFO",
    fmt: str = "json",
    secrets: Iterable[str] = (),
    stream: TextIO | None = None,
) -> None:
    """Route the root logger to ``stream`` (stderr) through the scrubbing formatter."""
    scrub = Scrubber(secrets)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter(scrub) if fmt == "json" else ConsoleFormatter(scrub))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # aiohttp's access log repeats what our middleware logs; arq's per-job lines are noisy.
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    logging.getLogger("arq.jobs").setLevel(logging.WARNING)


def register_secrets(secrets: Iterable[str]) -> None:
    """Remove ``secrets`` too from what the handlers of ``setup_logging`` write.

    For secrets that become known after start-up, such as the local stack's simulator
    credentials in ``broadcaster demo``.
    """
    for handler in logging.getLogger().handlers:
        formatter = handler.formatter
        if isinstance(formatter, JsonFormatter | ConsoleFormatter):
            formatter.scrub.add(secrets)
