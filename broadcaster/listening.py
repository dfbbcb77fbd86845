"""Server sockets bound before they are served: port 0 gets a free port, with no race.

Finding a "free" port by binding a probe socket, closing it and binding the port again later
fails now and then: in between, the kernel may give that port to one of our own outgoing
connections (to Redis, to the simulator), and the second bind fails with EADDRINUSE. A socket
bound once and handed to ``aiohttp.web.SockSite`` holds its port from the start.
"""

from __future__ import annotations

import socket


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


def port_of(sock: socket.socket) -> int:
    return int(sock.getsockname()[1])
