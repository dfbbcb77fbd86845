"""``broadcaster serve``'s app on a real socket in the test process (webhook receiver)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from aiohttp import web

from broadcaster.bootstrap import Deps
from broadcaster.listening import bound_socket, port_of
from broadcaster.web.app import create_app


@contextlib.asynccontextmanager
async def serving(deps: Deps) -> AsyncIterator[str]:
    """Serve ``deps``'s app on a free port; yield its base URL."""
    sock = bound_socket("127.0.0.1", 0)
    port = port_of(sock)
    runner = web.AppRunner(create_app(deps), access_log=None, handle_signals=False)
    await runner.setup()
    await web.SockSite(runner, sock).start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()
