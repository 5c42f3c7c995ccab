"""The Redis watcher closes the sockets that were open when Redis lost its data, and only those; a
Redis that is slow to answer once is not taken for one that is gone."""

import asyncio

import pytest
import redis.asyncio as aioredis
from django.conf import settings

from gateway.fanout.health import MARKER, UNANSWERED_CHECKS, LayerWatch
from testkit.services import deadline, require_service

pytestmark = pytest.mark.services


class Socket:
    def __init__(self):
        self.lost = False

    async def layer_lost(self):
        self.lost = True


async def flush_marker():
    client = aioredis.Redis.from_url(settings.REDIS_URL)
    await client.delete(MARKER)
    await client.aclose()


async def test_a_socket_opened_after_redis_lost_its_data_while_none_was_open_stays_open(settings):
    require_service("redis")
    settings.WS_HEALTH_INTERVAL = 3600  # the test drives the checks itself
    watch = LayerWatch()
    first = Socket()
    await watch.join(first)
    watch.leave(first)
    await flush_marker()  # Redis comes back empty while nothing is open
    second = Socket()
    await watch.join(second)
    assert await watch._read_epoch() == watch.epoch
    await flush_marker()  # now it loses what the open socket subscribed to
    assert await watch._read_epoch() != watch.epoch
    await watch.lost("redis restarted")
    assert second.lost and not first.lost
    watch.task.cancel()


async def test_a_burst_of_sockets_joining_a_fresh_process_reads_the_marker_once(settings, monkeypatch):
    require_service("redis")
    settings.WS_HEALTH_INTERVAL = 3600
    watch = LayerWatch()
    # Two connections for fifty sockets: one read per socket would exhaust them.
    watch.client = aioredis.Redis.from_url(settings.REDIS_URL, max_connections=2)
    reads = []
    real_read = watch._read_epoch

    async def counted_read():
        reads.append(1)
        return await real_read()

    monkeypatch.setattr(watch, "_read_epoch", counted_read)
    sockets = [Socket() for _ in range(50)]
    await asyncio.gather(*(watch.join(s) for s in sockets))
    assert watch.sockets == set(sockets)
    assert len(reads) == 1 and watch.epoch is not None
    watch.task.cancel()
    await watch.client.aclose()


async def test_sockets_stay_open_through_timeouts_and_close_when_redis_stays_unanswered(settings):
    """A check that times out (an overloaded worker's event loop runs late) must not close every
    socket: they would all reconnect at once and make it later still. Redis unanswered for
    UNANSWERED_CHECKS checks in a row does close them."""
    require_service("redis")
    settings.WS_HEALTH_INTERVAL = 3600  # the test drives the checks itself
    watch = LayerWatch()
    socket = Socket()
    await watch.join(socket)
    # A second is a timeout no answer from an unpaused Redis on the loopback comes near.
    watch.client = aioredis.Redis.from_url(settings.REDIS_URL, socket_timeout=1)
    admin = aioredis.Redis.from_url(settings.REDIS_URL)
    pause_ms = int(deadline() * 1000)
    try:
        # Writes wait while paused, so the watcher's marker write goes unanswered.
        await admin.client_pause(pause_ms, all=False)
        for _ in range(UNANSWERED_CHECKS - 1):
            await watch.check()
        assert not socket.lost
        await admin.client_unpause()
        await watch.check()  # answered: the count starts again
        await admin.client_pause(pause_ms, all=False)
        for _ in range(UNANSWERED_CHECKS - 1):
            await watch.check()
        assert not socket.lost
        await watch.check()
        assert socket.lost
    finally:
        await admin.client_unpause()
        await admin.aclose()
        await watch.client.aclose()
        watch.task.cancel()
