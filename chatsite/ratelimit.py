"""A fixed-window counter per key in the cache (Redis when configured, so it holds across
processes), and holds (lock-outs) of a key until a time. django-ratelimit wants a request; sends
also arrive over the WebSocket, so the rule lives here, called from the action both paths share."""

import math
import re
import time

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache

# The default cache's settings -> its one cache object in this process, and a client of its Redis
# write pool (None on another cache).
_caches = {}

_RATE = re.compile(r"^(\d+)/(\d*)([smh])$")
_UNIT = {"s": 1, "m": 60, "h": 3600}


def parse_rate(rate):
    """ "30/10s" -> (30, 10): at most 30 hits per 10 seconds."""
    match = _RATE.match(rate)
    if not match:
        raise ValueError(f"a rate looks like '30/10s' or '100/m', not {rate!r}")
    count, size, unit = match.groups()
    return int(count), int(size or 1) * _UNIT[unit]


def hit(key, rate):
    """Count one hit; return None if allowed, or the seconds until the window resets."""
    return hits(key, rate, 1)[0]


def hits(key, rate, n):
    """Count n hits at once (a batch of sends) -> for each, in order, what `hit` would answer."""
    limit, period = parse_rate(rate)
    now = time.time()
    last = _count(f"rl:{key}:{int(now // period)}", period, n)
    # Rounded up, so a client that waits exactly this long lands in the next window.
    retry = max(1, math.ceil(period - now % period))
    return [None if last - n + 1 + i <= limit else retry for i in range(n)]


def hold(key, seconds):
    """Hold `key` for `seconds` from now (a lock-out), as held_for() then reports."""
    _cache().set(key, time.time() + seconds, timeout=seconds + 1)


def held_for(key):
    """Whole seconds left of a hold on `key`, or 0."""
    until = _cache().get(key)
    return 0 if until is None else max(0, math.ceil(until - time.time()))


def _count(bucket, period, n):
    """n more hits in the window's counter, and the new count. On Redis one round trip (INCRBY and
    EXPIRE in one MULTI) instead of the cache API's three (add, exists, incr): it is on every send."""
    cache, writer = _cache_and_writer()
    if writer is None:
        cache.add(bucket, 0, timeout=period + 1)
        return cache.incr(bucket, n)
    key = cache.make_and_validate_key(bucket)
    pipe = writer.pipeline()
    pipe.incrby(key, n)
    pipe.expire(key, period + 1)
    return pipe.execute()[0]


def _cache():
    return _cache_and_writer()[0]


def _cache_and_writer():
    """The default cache, one object per process. Django keeps a cache object per asyncio context
    (caches is a context-local handler), and a Redis cache object makes its own connection pool:
    every REST request, and every batch of sends (whose drain starts in a fresh context), opened a
    TCP connection to Redis and said hello on it for one INCRBY. A pool is safe to share between
    threads, and redis-py makes a new one after a fork. Keyed by the cache's settings, which tests
    may change.

    Its writer is made once too: Django's Redis cache makes a redis-py client, with its table of
    about 170 reply callbacks, on every call (0.1 ms on every send). A client over a pool is safe
    to share between threads; each pipeline is its caller's own."""
    key = repr(sorted(settings.CACHES["default"].items()))
    found = _caches.get(key)
    if found is None:
        cache = caches.create_connection("default")
        writer = cache._cache.get_client(write=True) if isinstance(cache, RedisCache) else None
        found = _caches.setdefault(key, (cache, writer))
    return found
