"""The exception tree. Every error this package raises on purpose derives from BroadcasterError.

BroadcasterError
├── ConfigError            invalid configuration; carries one line per problem
├── InputError             bad input from a user or a file (HTTP 4xx, CLI exit 2)
│   ├── NotFound           a named thing does not exist (404)
│   └── Conflict           a state transition that is not allowed now (409)
├── WebhookRejected        a webhook failed authentication or parsing (401/403/400)
└── SendError              a Cloud API send did not succeed (carries the classification)
    ├── TransientSendError the same message may be retried
    └── PermanentSendError retrying the same message cannot help
"""

from __future__ import annotations

from collections.abc import Sequence


class BroadcasterError(Exception):
    """Root of every deliberate error in the package."""


class ConfigError(BroadcasterError):
    """The configuration is invalid; ``problems`` holds one line per bad key."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("invalid configuration:\n" + "\n".join(self.problems))


class InputError(BroadcasterError):
    """Bad input: the message names what is wrong; ``details`` lists per-field problems."""

    status = 400
    code = "invalid_input"

    def __init__(self, message: str, details: Sequence[str] = ()) -> None:
        self.message = message
        self.details = list(details)
        super().__init__(message)


class NotFound(InputError):
    status = 404
    code = "not_found"


class Conflict(InputError):
    status = 409
    code = "conflict"


class WebhookRejected(BroadcasterError):
    """A webhook request was refused; ``status`` is the HTTP answer to give the sender."""

    def __init__(self, status: int, code: str, message: str) -> None:
        self.status = status
        self.code = code
        self.message = message
        super().__init__(message)


class SendError(BroadcasterError):
    """A send failed. ``code`` is the Graph error code (0 when there was no Graph error)."""

    def __init__(self, message: str, code: int = 0, http_status: int = 0) -> None:
        self.code = code
        self.http_status = http_status
        super().__init__(message)


class TransientSendError(SendError):
    """Retrying the same message later may succeed."""


class PermanentSendError(SendError):
    """Retrying the same message cannot succeed."""
