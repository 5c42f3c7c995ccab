"""The Redis watcher closes the sockets that were open when Redis lost its data, and only those."""

import asyncio

import pytest
import redis.asyncio as aioredis
from django.conf import settings

from gateway.fanout.health import MARKER, LayerWatch
from testkit.services import require_service

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
