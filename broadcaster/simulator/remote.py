"""A simulator that runs in another process (``broadcaster simulator``), driven over its
``/_sim`` control plane: how end-to-end tests and benchmarks switch faults and read what it
accepted, where ``run_simulator`` would share their event loop and CPU."""

from __future__ import annotations

import json
import urllib.request
from typing import Any


class RemoteSimulator:
    def __init__(self, port: int, host: str = "127.0.0.1") -> None:
        self._netloc = f"{host}:{int(port)}"
        self.url = f"http://{self._netloc}"

    def report(self, messages: bool = False) -> dict[str, Any]:
        """``GET /_sim/report``; ``messages`` adds every accepted message."""
        query = "?messages=1" if messages else ""
        with urllib.request.urlopen(
            f"http://{self._netloc}/_sim/report{query}", timeout=30
        ) as response:
            data: dict[str, Any] = json.loads(response.read())
            return data

    def set_faults(self, **faults: Any) -> None:
        """``POST /_sim/faults``: the faults named change, the others stay (see ``Faults``)."""
        request = urllib.request.Request(
            f"http://{self._netloc}/_sim/faults",
            data=json.dumps(faults).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        urllib.request.urlopen(request, timeout=10).close()  # noqa: S310 - http, built above
