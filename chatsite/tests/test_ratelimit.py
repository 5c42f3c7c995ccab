"""The fixed-window limiter: its Retry-After is the wait that really ends the window, and its counts
on Redis share the process's connection."""

import contextvars
import time

import pytest

from chatsite import ratelimit
from testkit.services import require_service


@pytest.mark.parametrize("into_the_second", [0.0, 0.25, 0.9995, 0.99999])
def test_a_client_that_waits_retry_after_is_let_through(monkeypatch, into_the_second):
    # Start in a minute no other test touches, at a fraction of a second that rounding used to get wrong.
    now = [(int(time.time()) // 60 + 10_000 + int(into_the_second * 1e5)) * 60 + 8 + into_the_second]
    monkeypatch.setattr(time, "time", lambda: now[0])
    key = f"test-retry-after-{into_the_second}"
    assert [ratelimit.hit(key, "2/m") for _ in range(2)] == [None, None]
    retry_after = ratelimit.hit(key, "2/m")
    assert isinstance(retry_after, int) and 1 <= retry_after <= 60
    now[0] += retry_after - 1
    assert ratelimit.hit(key, "2/m") is not None  # a second less would not have been enough
    now[0] += 1
    assert ratelimit.hit(key, "2/m") is None


def test_a_rate_that_does_not_parse_names_the_expected_shape():
    with pytest.raises(ValueError, match="30/10s"):
        ratelimit.parse_rate("thirty a minute")


def test_hits_counted_together_are_allowed_up_to_the_limit_in_their_order():
    key = f"test-hits-{time.time_ns()}"
    first, *_, last = answers = ratelimit.hits(key, "3/h", 5)
    assert answers[:3] == [None, None, None] and first is None
    assert answers[3] == last and isinstance(last, int) and last >= 1
    assert ratelimit.hit(key, "3/h") == last  # the window remembers all five


@pytest.fixture
def redis_handshakes(monkeypatch):
    """The new connections this process makes to Redis from now on."""
    require_service("redis")
    import redis.connection

    seen = []
    real = redis.connection.AbstractConnection.on_connect_check_health

    def handshake(connection, **options):
        seen.append(connection)
        return real(connection, **options)

    monkeypatch.setattr(redis.connection.AbstractConnection, "on_connect_check_health", handshake)
    return seen


@pytest.mark.services
def test_counts_made_in_many_requests_share_the_process_connection_to_redis(redis_handshakes):
    ratelimit.hit(f"test-warm-{time.time_ns()}", "100/m")  # the process's pool has its connection
    redis_handshakes.clear()
    # Each REST request, and each batch of sends, runs in a context of its own, where Django makes
    # a cache object of its own: 20 of them must not mean 20 new connections (and hellos).
    for n in range(20):
        contextvars.Context().run(ratelimit.hit, f"test-contexts-{n}-{time.time_ns()}", "100/m")
    assert redis_handshakes == []


@pytest.mark.services
def test_holds_made_and_read_in_many_requests_share_the_process_connection_to_redis(redis_handshakes):
    ratelimit.hit(f"test-warm-{time.time_ns()}", "100/m")
    redis_handshakes.clear()
    keys = [f"test-hold-{n}-{time.time_ns()}" for n in range(10)]
    for key in keys:
        contextvars.Context().run(ratelimit.hold, key, 30)
    assert [contextvars.Context().run(ratelimit.held_for, key) for key in keys] == [30] * 10
    assert redis_handshakes == []


def test_a_hold_is_reported_until_it_ends(monkeypatch):
    now = [time.time()]
    monkeypatch.setattr(time, "time", lambda: now[0])
    key = f"test-hold-ends-{time.time_ns()}"
    assert ratelimit.held_for(key) == 0
    ratelimit.hold(key, 5)
    now[0] += 2.5
    assert ratelimit.held_for(key) == 3  # rounded up: waiting that long is enough
    now[0] += 2.5
    assert ratelimit.held_for(key) == 0
