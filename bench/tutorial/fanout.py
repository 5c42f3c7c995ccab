"""The benchmark's baseline fan-out, plugged into the gateway's port (GATEWAY_FANOUT): the design
of the Channels tutorial. Every socket has a channel of its own in a RedisChannelLayer with its
default settings, joins its groups with group_add, and a task per socket waits on the layer for
its messages; a message to a room of M members is stored, read and decoded M times.

Kept only to be measured against; production runs the hub (gateway.fanout.hub).
"""

import asyncio
import weakref

from channels_redis.core import RedisChannelLayer
from django.conf import settings

from chatsite.per_loop import PerLoop
from gateway.fanout import pusher

_layer = None


def layer():
    global _layer
    if _layer is None:
        # Default settings, as the tutorial has them, but for the socket timeout: redis-py 8 reads
        # with a 5 s timeout, exactly as long as the layer blocks in BZPOPMIN, so an idle receive
        # would fail every 5 s (django/channels_redis#422), which the tutorial never meant.
        _layer = RedisChannelLayer(hosts=[{"address": settings.REDIS_URL, "socket_timeout": 15}])
    return _layer


class _Sockets:
    """The hub interface over the layer: a channel and a receive task per socket."""

    def __init__(self):
        self.channels = weakref.WeakKeyDictionary()  # socket -> (channel, receive task, groups)

    async def join(self, group, socket):
        entry = self.channels.get(socket)
        if entry is None:
            channel = await layer().new_channel()
            task = asyncio.ensure_future(self._receive(channel, socket))
            entry = self.channels[socket] = (channel, task, set())
        entry[2].add(group)
        await layer().group_add(group, entry[0])

    async def leave(self, group, socket):
        entry = self.channels.get(socket)
        if entry is None:
            return
        channel, task, groups = entry
        groups.discard(group)
        await layer().group_discard(group, channel)
        if not groups:
            task.cancel()
            del self.channels[socket]

    async def _receive(self, channel, socket):
        while True:
            socket.hub_message(await layer().receive(channel))


hub = PerLoop(lambda loop: _Sockets())


async def publish(group, message):
    await layer().group_send(group, message)


def send_now(group, message):
    pusher.submit(publish, group, message)
