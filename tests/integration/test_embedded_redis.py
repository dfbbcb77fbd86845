"""The private redis-server: a port taken under it is replaced, never mistaken for ours."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from broadcaster import embedded_redis as module
from broadcaster.embedded_redis import RedisUnavailable, embedded_redis, server_pid


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A port someone else listens on (and would answer on, were it a Redis)."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield listener.getsockname()[1]


def test_a_port_asked_for_and_taken_is_an_error_naming_it(taken_port):
    with pytest.raises(RedisUnavailable, match=f"port {taken_port}"), embedded_redis(taken_port):
        pass


def test_a_port_picked_and_taken_before_redis_binds_it_is_replaced(taken_port, monkeypatch):
    picks = iter([taken_port])
    free_port = module.free_port
    monkeypatch.setattr(module, "free_port", lambda: next(picks, None) or free_port())
    with embedded_redis() as url:
        assert not url.endswith(f":{taken_port}/0")
        assert server_pid(url) is not None


def test_server_pid_is_none_where_no_redis_answers(taken_port):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    assert server_pid(f"redis://127.0.0.1:{closed}/0") is None
    assert server_pid(f"redis://127.0.0.1:{taken_port}/0", timeout=0.2) is None, "silent: not Redis"
