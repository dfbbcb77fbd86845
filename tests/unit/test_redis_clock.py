"""Redis time on the local clock: the least-delayed round trip wins, a stepped clock is followed."""

from __future__ import annotations

from broadcaster.adapters.rate_limiter import RedisClock


def test_the_round_trip_with_least_delay_sets_the_offset():
    clock = RedisClock()
    clock.observe(sent=10.000, received=10.002, redis_now=1010.001)  # true offset 1000
    clock.observe(sent=11.000, received=11.040, redis_now=1011.001)  # reply read 39 ms late
    assert abs(clock.local(1011.001) - 11.001) < 1e-9, "a late-read reply shifts nothing"


def test_a_stepped_redis_clock_is_followed_at_once():
    clock = RedisClock()
    clock.observe(sent=10.000, received=10.001, redis_now=1010.0005)
    clock.observe(sent=10.500, received=10.510, redis_now=510.505)  # stepped back 500 s
    assert abs(clock.local(510.505) - 10.505) < 1e-9


def test_an_old_estimate_is_refreshed():
    clock = RedisClock()
    clock.observe(sent=0.0, received=0.0001, redis_now=100.00005)
    later = RedisClock.REFRESH_SECONDS + 1
    clock.observe(sent=later, received=later + 0.003, redis_now=100.0015 + later)
    assert abs(clock.local(100.0015 + later) - later - 0.0015) < 1e-9
