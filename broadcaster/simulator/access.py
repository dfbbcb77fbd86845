"""Who may call what: the access token (and its rotation), API versions, object ids.

Answers as Graph does: 190 for a missing, unknown or rotated-out token (HTTP 401); 100 with
subcode 33 ``GraphMethodException`` for an id the token cannot see.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Final

from broadcaster.simulator import graph_errors as codes
from broadcaster.simulator.config import SimulatorConfig
from broadcaster.simulator.graph_errors import GraphError

SUPPORTED_VERSIONS: Final = frozenset(f"v{major}.0" for major in range(17, 26))
_UNKNOWN_NODE: Final = (
    "Unsupported {method} request. Object with ID '{node}' does not exist, cannot be loaded "
    "due to missing permissions, or does not support this operation. Please read the Graph "
    "API documentation at https://developers.facebook.com/docs/graph-api"
)


class AccessControl:
    """Checks a request's token, version and object id against the config."""

    def __init__(self, config: SimulatorConfig) -> None:
        self._config = config
        self._revoked: set[str] = set()

    def rotate(self, token: str) -> None:
        """The previous token is now answered with 190 (session expired)."""
        if token != self._config.access_token:
            self._revoked.add(self._config.access_token)
            self._revoked.discard(token)
            self._config.access_token = token

    def reset(self, token: str) -> None:
        self._revoked.clear()
        self._config.access_token = token

    def authorize(self, token: str | None) -> None:
        if token == self._config.access_token:
            return
        if token is not None and token in self._revoked:
            raise GraphError(
                codes.ACCESS_TOKEN,
                "The access token was replaced and has expired.",
                message="Error validating access token: Session has expired.",
                subcode=463,
            )
        raise GraphError(
            codes.ACCESS_TOKEN,
            "Missing or unknown access token.",
            message="Invalid OAuth access token - Cannot parse access token",
        )

    @staticmethod
    def check_node(version: str, node: str, method: str, known: Collection[str]) -> None:
        if version not in SUPPORTED_VERSIONS:
            raise GraphError(
                codes.INVALID_PARAMETER,
                f"API version {version} is not supported by the simulator (v17.0 to v25.0).",
            )
        if node not in known:
            raise GraphError(
                codes.INVALID_PARAMETER,
                "Object does not exist or does not support this operation.",
                message=_UNKNOWN_NODE.format(method=method, node=node),
                error_type="GraphMethodException",
                subcode=33,
            )
