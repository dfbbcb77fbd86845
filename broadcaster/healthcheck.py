"""``python -m broadcaster.healthcheck``: the container image's HEALTHCHECK, for both processes.

Exits 0 when ``/healthz`` answers 200 on the server's port (``[http] port``) or on the worker's
metrics port (``[worker] metrics_port``) — whichever process the container runs — and 1
otherwise. The ports come from the same configuration the process reads (config.toml and
``BROADCASTER_*`` variables), so an overridden port is still the one checked.
"""

from __future__ import annotations

import sys
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path

from broadcaster.config import load_settings
from broadcaster.errors import ConfigError


def healthy(port: int, timeout: float = 2.0) -> bool:
    """True when ``http://127.0.0.1:{port}/healthz`` answers 200."""
    url = f"http://127.0.0.1:{int(port)}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return int(response.status) == 200
    except (urllib.error.URLError, OSError, ValueError):
        return False


def main(config: Path | None = None, environ: Mapping[str, str] | None = None) -> int:
    try:
        settings = load_settings(config, environ)
    except ConfigError:
        return 1
    ports = (settings.http.port, settings.worker.metrics_port)
    return 0 if any(healthy(port) for port in ports) else 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
