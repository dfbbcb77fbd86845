"""``broadcaster serve``'s app on a real socket in the test process (webhook receiver)."""

from __future__ import annotations

import contextlib

from broadcaster.bootstrap import Deps
from broadcaster.listening import serving_app
from broadcaster.web.app import create_app


def serving(deps: Deps) -> contextlib.AbstractAsyncContextManager[str]:
    """``broadcaster serve``'s app for ``deps`` on a free port; yields its base URL."""
    return serving_app(create_app(deps))
