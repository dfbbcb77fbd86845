"""aiohttp apps on real sockets in the test process: our server (webhook receiver) or a stub
of someone else's (a voucher provider, a helpdesk)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from aiohttp import web

from broadcaster.bootstrap import Deps
from broadcaster.listening import bound_socket, port_of
from broadcaster.web.app import create_app


@contextlib.asynccontextmanager
async def serving_app(app: web.Application) -> AsyncIterator[str]:
    """Serve ``app`` on a free port, bound before anything else can take it; yield its URL."""
    with contextlib.closing(bound_socket("127.0.0.1", 0)) as sock:
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        try:
            await web.SockSite(runner, sock).start()
            yield f"http://127.0.0.1:{port_of(sock)}"
        finally:
            await runner.cleanup()


def serving(deps: Deps) -> contextlib.AbstractAsyncContextManager[str]:
    """``broadcaster serve``'s app for ``deps``; yields its base URL."""
    return serving_app(create_app(deps))
