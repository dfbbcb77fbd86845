"""Our own HTTP servers on sockets bound before they are served: port 0 gets a free port,
with no race.

Finding a "free" port by binding a probe socket, closing it and binding the port again later
fails now and then: in between, the kernel may give that port to one of our own outgoing
connections (to Redis, to the simulator), and the second bind fails with EADDRINUSE. A socket
bound once and handed to ``aiohttp.web.SockSite`` holds its port from the start.
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web


def bound_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``host:port`` (0: any free port), non-blocking, not yet listening."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.setblocking(False)
    return sock


def url_of(sock: socket.socket) -> str:
    """``http://host:port`` of a bound socket (IPv6 hosts in brackets)."""
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


@contextlib.asynccontextmanager
async def serving_app(
    app: web.Application, sock: socket.socket | None = None, **runner_options: Any
) -> AsyncIterator[str]:
    """Serve ``app`` on ``sock`` (by default a free loopback port) until the block exits;
    yield its base URL. The socket is closed on the way out, whether it was served or not."""
    sock = sock or bound_socket("127.0.0.1", 0)
    with contextlib.closing(sock):
        runner = web.AppRunner(app, access_log=None, handle_signals=False, **runner_options)
        await runner.setup()
        try:
            await web.SockSite(runner, sock).start()
            yield url_of(sock)
        finally:
            await runner.cleanup()
