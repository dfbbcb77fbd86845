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


def server_pid(url: str, timeout: float = 0.5) -> int | None:
    """The process id of the Redis answering at ``url`` (``INFO server``), or None."""
    parsed = urlparse(url)
    try:
        with socket.create_connection(
            (parsed.hostname or "127.0.0.1", parsed.port or 6379), timeout
        ) as s:
            s.sendall(b"INFO server\r\n")
            reply = b""
            while b"process_id:" not in reply or not reply.endswith(b"\r\n"):
                chunk = s.recv(4096)
                reply += chunk
                if not chunk or reply.startswith(b"-") or len(reply) > 65536:
                    return None  # closed, an error (NOAUTH) or not Redis
    except OSError:
        return None
    line = reply.split(b"process_id:", 1)[1].split(b"\r\n", 1)[0]
    return int(line) if line.isdigit() else None


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
    with tempfile.TemporaryDirectory(prefix="broadcaster-redis-") as workdir:
        proc, url = _start(binary, port, Path(workdir), startup_timeout)
        try:
            yield url
        finally:
            stop_process(proc)


def _start(
    binary: str, port: int | None, workdir: Path, startup_timeout: float
) -> tuple[subprocess.Popen[bytes], str]:
    """A running redis-server of ours and its URL.

    A port we picked may be taken by someone else before redis-server binds it: then we pick
    another. We only hand out a server whose process id is the one we started, so that a
    caller who flushes "its" Redis never flushes another's that answered on the same port.
    """
    for _ in range(1 if port else 5):
        chosen = port or free_port()
        log = workdir / f"redis-{chosen}.log"
        args = [binary, "--port", str(chosen), "--bind", "127.0.0.1", "--save", ""]
        args += ["--appendonly", "no", "--dir", str(workdir), "--daemonize", "no"]
        args += ["--loglevel", "warning", "--logfile", str(log), "--maxmemory-policy", "noeviction"]
        # the binary comes from PATH lookup above; every argument is ours
        proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603
        url = f"redis://127.0.0.1:{chosen}/0"
        if _answers_as(proc, url, startup_timeout):
            return proc, url
        stop_process(proc)
        tail = log.read_text(errors="replace")[-300:] if log.exists() else ""
        if port or "Address already in use" not in tail:
            raise RedisUnavailable(f"redis-server did not start on port {chosen}: {tail}")
    raise RedisUnavailable(f"redis-server found no free port: {tail}")


def _answers_as(proc: subprocess.Popen[bytes], url: str, timeout: float) -> bool:
    """Wait until the Redis at ``url`` is ``proc``; False once it exits or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    while server_pid(url) != proc.pid:
        if proc.poll() is not None or time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def stop_process(proc: subprocess.Popen[bytes], grace: float = 5.0) -> None:
    """SIGTERM, then SIGKILL if it has not exited after ``grace`` seconds; reaped either way."""
    proc.terminate()
    try:
        proc.wait(timeout=grace)
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
