"""The simulator in a process of its own: it times arrivals on an event loop nobody else uses."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from broadcaster.embedded_redis import free_port
from broadcaster.simulator.remote import RemoteSimulator
from tests.conftest import REPO

TOKEN = "sim-access-token"
NUMBER = "1000000000001"


@contextlib.contextmanager
def simulator_process(
    logs: Path,
    messages_per_second: int = 80,
    webhook_url: str | None = None,
    pair_interval: str = "0s",
    app_secret: str = "sim-app-secret",
) -> Iterator[RemoteSimulator]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("BROADCASTER_")}
    env |= {
        "BROADCASTER_SIMULATOR__MESSAGES_PER_SECOND": str(messages_per_second),
        "BROADCASTER_SIMULATOR__PAIR_INTERVAL": pair_interval,
        "BROADCASTER_WHATSAPP__ACCESS_TOKEN": TOKEN,
        "BROADCASTER_WHATSAPP__APP_SECRET": app_secret,
        "BROADCASTER_WHATSAPP__PHONE_NUMBER_IDS": NUMBER,
        "BROADCASTER_LOG__LEVEL": "WARNING",
    }
    args = [sys.executable, "-m", "broadcaster", "simulator", "--port", str(port)]
    if os.geteuid() == 0:
        # it plays Meta, whose servers do not share our CPU: where we may, put it ahead of
        # everything else on a small machine, so that it times arrivals when they arrive
        args = ["nice", "-n", "-5", *args]
    if webhook_url:
        env["BROADCASTER_SIMULATOR__WEBHOOK_URL"] = webhook_url
    else:
        args.append("--no-webhooks")
    with (
        (logs / "simulator.log").open("wb") as sink,
        subprocess.Popen(args, cwd=REPO, env=env, stdout=sink, stderr=subprocess.STDOUT) as process,
    ):
        url = f"http://127.0.0.1:{port}"
        try:
            for _ in range(200):
                try:
                    urllib.request.urlopen(url + "/healthz", timeout=1).close()
                    break
                except OSError:
                    assert process.poll() is None, (logs / "simulator.log").read_text()
                    time.sleep(0.05)
            yield RemoteSimulator(port)
        finally:
            process.terminate()
            process.wait(timeout=10)
