"""Real ``broadcaster worker`` processes for tests that need several of them, or kill them."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from broadcaster.config import Settings
from tests.conftest import REPO


def worker_env(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment that points a worker process at the same deployment as ``settings``."""
    wa, worker = settings.whatsapp, settings.worker
    env = {k: v for k, v in os.environ.items() if not k.startswith("BROADCASTER_")}
    env.update(
        {
            "BROADCASTER_REDIS__URL": settings.redis.url,
            "BROADCASTER_REDIS__KEY_PREFIX": settings.redis.key_prefix,
            "BROADCASTER_REDIS__QUEUE_NAME": settings.redis.queue_name,
            "BROADCASTER_WHATSAPP__API_BASE_URL": wa.api_base_url,
            "BROADCASTER_WHATSAPP__ACCESS_TOKEN": wa.access_token.reveal(),
            "BROADCASTER_WHATSAPP__APP_SECRET": wa.app_secret.reveal(),
            "BROADCASTER_WHATSAPP__PHONE_NUMBER_IDS": ",".join(wa.phone_number_ids),
            "BROADCASTER_WHATSAPP__MESSAGES_PER_SECOND": str(wa.messages_per_second),
            "BROADCASTER_WHATSAPP__RATE_SAFETY": str(wa.rate_safety),
            "BROADCASTER_WHATSAPP__RECONCILE_AFTER": f"{wa.reconcile_after.total_seconds()}s",
            "BROADCASTER_WHATSAPP__REQUEST_TIMEOUT": f"{wa.request_timeout.total_seconds()}s",
            "BROADCASTER_WORKER__JOB_TIMEOUT": f"{worker.job_timeout.total_seconds()}s",
            "BROADCASTER_WORKER__SOFT_DEADLINE": f"{worker.soft_deadline.total_seconds()}s",
            "BROADCASTER_WORKER__POLL_DELAY": "0.05s",
            "BROADCASTER_BROADCAST__PARALLEL_CHUNKS": str(settings.broadcast.parallel_chunks),
            "BROADCASTER_BROADCAST__CHUNK_SIZE": str(settings.broadcast.chunk_size),
            "BROADCASTER_LOG__LEVEL": "WARNING",
            "BROADCASTER_WORKER__METRICS_PORT": "0",  # any free one: nobody scrapes these
        }
    )
    env.update(extra)
    return env


class Workers:
    """A set of worker processes: start, SIGKILL, restart; logs go to files.

    ``nice``: run them at a lower CPU priority, so that on a small machine they do not starve
    the simulator, which times every arrival the way Meta's own servers would.
    """

    def __init__(self, settings: Settings, logs: Path, nice: int = 0) -> None:
        self._settings = settings
        self._logs = logs
        self._command = [*(["nice", "-n", str(nice)] if nice else []), sys.executable]
        self._command += ["-m", "broadcaster", "worker"]
        self.processes: list[subprocess.Popen[bytes]] = []
        self._sinks: list[object] = []

    def start(self, count: int = 1) -> None:
        for _ in range(count):
            env = worker_env(self._settings)
            sink = (self._logs / f"worker-{len(self.processes)}.log").open("wb")
            self._sinks.append(sink)
            self.processes.append(
                subprocess.Popen(
                    self._command,
                    cwd=REPO,
                    env=env,
                    stdout=sink,
                    stderr=subprocess.STDOUT,
                )
            )

    def kill(self, index: int) -> None:
        """SIGKILL: no cleanup, no goodbye, exactly like an OOM kill or a lost machine."""
        process = self.processes[index]
        process.send_signal(signal.SIGKILL)
        process.wait()

    def restart(self, index: int) -> None:
        env = worker_env(self._settings)
        sink = (self._logs / f"worker-{index}-restart-{len(self._sinks)}.log").open("wb")
        self._sinks.append(sink)
        self.processes[index] = subprocess.Popen(
            self._command,
            cwd=REPO,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for sink in self._sinks:
            sink.close()  # type: ignore[attr-defined]


@contextlib.contextmanager
def worker_processes(
    settings: Settings, logs: Path, count: int = 1, nice: int = 0
) -> Iterator[Workers]:
    workers = Workers(settings, logs, nice)
    workers.start(count)
    try:
        yield workers
    finally:
        workers.stop()
