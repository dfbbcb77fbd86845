"""Graph API errors as the Cloud API returns them: code, HTTP status, title and body shape.

One table holds every code the simulator can answer with, synchronously (HTTP body) or
asynchronously (a ``failed`` status webhook), so the docs and the tests name the same codes.
Titles and details follow Meta's error-code page and bodies seen in the field.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any, Final

ERROR_CODES_URL: Final = (
    "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/"
)

# Codes, named where the simulator's own logic refers to them.
INVALID_PARAMETER: Final = 100
ACCESS_TOKEN: Final = 190
UNKNOWN_PATH: Final = 2500
THROUGHPUT: Final = 130429
UNKNOWN_ERROR: Final = 131000
SERVICE_UNAVAILABLE: Final = 131016
RECIPIENT_IS_SENDER: Final = 131021
UNDELIVERABLE: Final = 131026
WINDOW_CLOSED: Final = 131047
MARKETING_STOPPED: Final = 131050
PAIR_RATE: Final = 131056
REQUIRED_PARAMETER_MISSING: Final = 131008
INVALID_PARAMETER_VALUE: Final = 131009
PARAMETER_COUNT: Final = 132000
TEMPLATE_NOT_FOUND: Final = 132001
TEXT_TOO_LONG: Final = 132005
PARAMETER_FORMAT: Final = 132012
TEMPLATE_PAUSED: Final = 132015
TEMPLATE_DISABLED: Final = 132016
PARAMETER_WHITESPACE: Final = 132018


@dataclass(frozen=True, slots=True)
class ErrorKind:
    """What Meta's table says about one code: HTTP status (sync errors) and title."""

    http_status: int
    title: str


# HTTP status per Meta's table (via BSP copies). Throughput codes default to 400; the
# simulator's `throttle_http_status` may turn them into 429 (older copies of the table).
ERROR_TABLE: Final[dict[int, ErrorKind]] = {
    INVALID_PARAMETER: ErrorKind(400, "Invalid parameter"),
    ACCESS_TOKEN: ErrorKind(401, "Invalid OAuth access token"),
    UNKNOWN_PATH: ErrorKind(400, "Unknown path components"),
    THROUGHPUT: ErrorKind(400, "Rate limit hit"),
    UNKNOWN_ERROR: ErrorKind(500, "Something went wrong"),
    SERVICE_UNAVAILABLE: ErrorKind(503, "Service unavailable"),
    RECIPIENT_IS_SENDER: ErrorKind(400, "Recipient cannot be sender"),
    UNDELIVERABLE: ErrorKind(400, "Message undeliverable"),
    WINDOW_CLOSED: ErrorKind(400, "Re-engagement message"),
    MARKETING_STOPPED: ErrorKind(400, "User has stopped marketing messages"),
    PAIR_RATE: ErrorKind(400, "(Business Account, Consumer Account) pair rate limit hit"),
    REQUIRED_PARAMETER_MISSING: ErrorKind(400, "Required parameter is missing"),
    INVALID_PARAMETER_VALUE: ErrorKind(400, "Parameter value is not valid"),
    PARAMETER_COUNT: ErrorKind(
        400, "Number of parameters does not match the expected number of params"
    ),
    TEMPLATE_NOT_FOUND: ErrorKind(404, "Template name does not exist in the translation"),
    TEXT_TOO_LONG: ErrorKind(400, "Translated text too long"),
    PARAMETER_FORMAT: ErrorKind(
        400, "Parameter format does not match format in the created template"
    ),
    TEMPLATE_PAUSED: ErrorKind(400, "Template is Paused"),
    TEMPLATE_DISABLED: ErrorKind(400, "Template is Disabled"),
    PARAMETER_WHITESPACE: ErrorKind(
        400, "There was an issue with the parameters in your template."
    ),
}

_GENERIC = ErrorKind(400, "Message failed to send")

THROUGHPUT_DETAILS: Final = (
    "Message failed to send because there were too many messages sent from this phone "
    "number in a short period of time"
)
PAIR_DETAILS: Final = (
    "Message failed to send because there were too many messages sent from this phone "
    "number to the same phone number in a short period of time"
)

# Default details for async failures, where the simulator has no request to point at.
ASYNC_DETAILS: Final[dict[int, str]] = {
    UNKNOWN_ERROR: "Message failed to send due to an unknown error.",
    UNDELIVERABLE: "Message Undeliverable.",
    WINDOW_CLOSED: (
        "Message failed to send because more than 24 hours have passed since the customer "
        "last replied to this number."
    ),
    MARKETING_STOPPED: (
        "Unable to deliver the message. This recipient has chosen to stop receiving "
        "marketing messages on WhatsApp from your business."
    ),
}


def kind_of(code: int) -> ErrorKind:
    """The table entry for ``code``; unknown codes are a 400 with a generic title."""
    return ERROR_TABLE.get(code, _GENERIC)


class GraphError(Exception):
    """A synchronous Graph error: raise it from validation, render it with ``body()``.

    ``message`` defaults to ``(#code) title`` as the Cloud API words WhatsApp errors;
    ``http_status`` defaults to Meta's table.
    """

    def __init__(
        self,
        code: int,
        details: str,
        *,
        http_status: int | None = None,
        message: str | None = None,
        error_type: str = "OAuthException",
        subcode: int | None = None,
    ) -> None:
        kind = kind_of(code)
        self.code = code
        self.details = details
        self.http_status = http_status or kind.http_status
        self.message = message or f"(#{code}) {kind.title}"
        self.error_type = error_type
        self.subcode = subcode
        super().__init__(f"{self.message}: {details}")

    def body(self) -> dict[str, Any]:
        """The JSON body Graph answers with."""
        error: dict[str, Any] = {
            "message": self.message,
            "type": self.error_type,
            "code": self.code,
            "error_data": {"messaging_product": "whatsapp", "details": self.details},
        }
        if self.subcode is not None:
            error["error_subcode"] = self.subcode
        error["fbtrace_id"] = secrets.token_urlsafe(15)
        return {"error": error}


def async_error(code: int, details: str | None = None) -> dict[str, Any]:
    """The ``errors[]`` entry of a ``failed`` status webhook."""
    title = kind_of(code).title
    return {
        "code": code,
        "title": title,
        "message": title,
        "error_data": {"details": details or ASYNC_DETAILS.get(code, title)},
        "href": ERROR_CODES_URL,
    }
