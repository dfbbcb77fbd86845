"""A private ``redis-server`` on a free port, for the demo and the tests.

CONTRACT: when ``BROADCASTER_REDIS__URL`` is unset and nothing answers on the default URL, the
project starts its own Redis for the run and stops it afterwards. When ``redis-server`` is not
on PATH we install Debian's package if we run as root; otherwise we stop with one line saying
how to get it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

from broadcaster.errors import BroadcasterError


class RedisUnavailable(BroadcasterError):
    """No Redis can be reached or started."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def answers(url: str, timeout: float = 0.5) -> bool:
    """True when a Redis at ``url`` replies to PING (plain TCP URLs only)."""
    parsed = urlparse(url)
    if parsed.scheme != "redis":
        return False
    try:
        with socket.create_connection(
            (parsed.hostname or "127.0.0.1", parsed.port or 6379), timeout
        ) as s:
            s.sendall(b"PING\r\n")
            return s.recv(64).startswith((b"+PONG", b"-NOAUTH"))
    except OSError:
        return False


def redis_server_binary() -> str:
    """Path of redis-server, installing Debian's package when root and missing."""
    found = shutil.which("redis-server")
    if found:
        return found
    apt_get = shutil.which("apt-get")
    if apt_get and hasattr(os, "geteuid") and os.geteuid() == 0:
        install = [apt_get, "install", "-y", "-qq", "--no-install-recommends", "redis-server"]
        for command in ([apt_get, "update", "-qq"], install):
            # fixed argument lists; DEBIAN_FRONTEND keeps debconf from prompting
            subprocess.run(  # noqa: S603
                ["/usr/bin/env", "DEBIAN_FRONTEND=noninteractive", *command],
                check=False,
                capture_output=True,
            )
        found = shutil.which("redis-server")
        if found:
            return found
    raise RedisUnavailable(
        "redis-server not found: install it (sudo apt-get install redis-server) "
        "or set BROADCASTER_REDIS__URL to a running Redis"
    )


@contextlib.contextmanager
def embedded_redis(port: int | None = None, startup_timeout: float = 10.0) -> Iterator[str]:
    """Run a throw-away redis-server; yield its URL; stop it and delete its files on exit."""
    binary = redis_server_binary()
    port = port or free_port()
    with tempfile.TemporaryDirectory(prefix="broadcaster-redis-") as workdir:
        args = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
        args += [
            "--appendonly",
            "no",
            "--dir",
            workdir,
            "--daemonize",
            "no",
            "--loglevel",
            "warning",
        ]
        args += ["--logfile", str(Path(workdir) / "redis.log"), "--maxmemory-policy", "noeviction"]
        # the binary comes from PATH lookup above; every argument is ours
        proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603
        url = f"redis://127.0.0.1:{port}/0"
        try:
            deadline = time.monotonic() + startup_timeout
            while not answers(url):
                if proc.poll() is not None or time.monotonic() > deadline:
                    log = (Path(workdir) / "redis.log").read_text(errors="replace")[-300:]
                    raise RedisUnavailable(f"redis-server did not start on port {port}: {log}")
                time.sleep(0.02)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@contextlib.contextmanager
def redis_for_run(url: str, url_was_set: bool, embedded: str) -> Iterator[str]:
    """The URL to use: the configured one, the default if it answers, else a private server."""
    if url_was_set or embedded == "never" or answers(url):
        yield url
        return
    with embedded_redis() as private_url:
        yield private_url
