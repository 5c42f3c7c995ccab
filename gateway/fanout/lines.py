"""The hub's pub/sub connections ("lines"): one to a single Redis (REDIS_URL), or one per shard of
a Redis Cluster (FANOUT_REDIS_CLUSTER_URL) with sharded pub/sub.

In a cluster, a channel lives on the shard that owns its hash slot: SSUBSCRIBE must be sent to
that shard's primary, and SPUBLISH goes only there, so a conversation's events stay on one shard
and in order. A process holds a line only to the shards that carry one of its groups.

A line that breaks, or whose shard gives a slot away (a failover or resharding sends an
unasked-for SUNSUBSCRIBE), has lost whatever was published meanwhile: the hub closes the sockets
of the groups it carried, and they resume from the store. On a cluster line nothing reconnects
quietly (no retries): a silent reconnect would hide the gap.

A subscription sent with a stale slot map is answered MOVED. Nothing was lost there (the socket
has not read the store yet), so only that subscription fails, with Redirected; the line and its
other groups stay, and the hub subscribes again on the shard that the MOVED reply names.
"""

import asyncio
import contextvars
import logging
import weakref
from collections import Counter, defaultdict, deque

from django.conf import settings
from redis.crc import key_slot
from redis.exceptions import MovedError

log = logging.getLogger(__name__)


class SlotMoved(Exception):
    """The shard stopped carrying a channel that this process did not leave."""


class Redirected(ConnectionError):
    """A subscription reached a shard that no longer owns the channel's slot (MOVED)."""

    def __init__(self, moved):
        super().__init__(f"slot {moved.slot_id} is served by {moved.host}:{moved.port}")
        self.moved = moved


class Line:
    """One pub/sub connection and its reader. `on_message(channel, data)` gets each message;
    `on_lost(line, exc)` is awaited once if the connection breaks."""

    def __init__(self, client, sharded, on_message, on_lost):
        self.pubsub = client.pubsub()
        self.sharded = sharded
        self.on_message = on_message
        self.on_lost = on_lost
        # channel -> futures, one per SUBSCRIBE sent; a channel leaves both maps once nothing of it
        # is waiting, or every user who ever connected would keep an entry here.
        self.unconfirmed = defaultdict(deque)
        self.leaving = Counter()  # channel -> UNSUBSCRIBEs sent and not yet confirmed
        self.reader = None

    def expect(self, channel, loop):
        """A future that the confirmation of the next subscription to `channel` resolves."""
        confirmed = loop.create_future()
        self.unconfirmed[channel].append(confirmed)
        return confirmed

    async def subscribe(self, channel, loop):
        if self.sharded:
            await self.pubsub.ssubscribe(channel)
        else:
            await self.pubsub.subscribe(channel)
        if self.reader is None or self.reader.done():
            # A context of its own: the tasks that deliveries spawn must not inherit the state of
            # whichever socket subscribed first.
            self.reader = loop.create_task(self._read(), context=contextvars.Context())

    async def unsubscribe(self, channel):
        if self.sharded:
            self.leaving[channel] += 1
            await self.pubsub.sunsubscribe(channel)
        else:
            await self.pubsub.unsubscribe(channel)

    async def _read(self):
        pubsub = self.pubsub
        try:
            while True:
                try:
                    message = await pubsub.get_message(ignore_subscribe_messages=False, timeout=1.0)
                except MovedError as moved:
                    self._redirect(moved)
                    continue
                if message is None:
                    continue
                channel = message["channel"].decode()
                kind = message["type"]
                if kind in ("message", "smessage"):
                    self.on_message(channel, message["data"])
                elif kind in ("subscribe", "ssubscribe") and channel in self.unconfirmed:
                    confirmed = self._next_unconfirmed(channel)
                    if not confirmed.done():
                        confirmed.set_result(None)
                elif kind == "sunsubscribe":
                    if not self.leaving[channel]:
                        raise SlotMoved(channel)
                    self.leaving[channel] -= 1
                    if not self.leaving[channel]:
                        del self.leaving[channel]
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            await self.on_lost(self, exc)

    def _redirect(self, moved):
        """Fail the waiting subscription that the MOVED reply answers (replies come in order, and
        every waiting channel of that slot gets its own). A MOVED that answers none is a fault."""
        for channel in self.unconfirmed:
            if key_slot(channel.encode()) == moved.slot_id:
                confirmed = self._next_unconfirmed(channel)
                if not confirmed.done():
                    confirmed.set_exception(Redirected(moved))
                return
        raise moved

    def _next_unconfirmed(self, channel):
        waiting = self.unconfirmed[channel]
        confirmed = waiting.popleft()
        if not waiting:
            del self.unconfirmed[channel]
        return confirmed

    async def close(self, exc):
        """Fail the subscriptions still waiting for confirmation, and hang up."""
        for waiting in self.unconfirmed.values():
            for confirmed in waiting:
                if not confirmed.done():
                    confirmed.set_exception(ConnectionError(f"pub/sub connection lost: {exc.__class__.__name__}"))
        self.unconfirmed.clear()
        if self.reader is not None and self.reader is not asyncio.current_task():
            self.reader.cancel()
        try:
            await self.pubsub.aclose()
        except Exception:
            log.debug("closing a broken pub/sub connection failed", exc_info=True)


class SingleRedis:
    """Every channel on one connection to REDIS_URL: losing it loses every group of the process."""

    whole_process = True

    def __init__(self, on_message, on_lost):
        self.on_message, self.on_lost = on_message, on_lost
        self.line = None

    async def line_for(self, channel):
        if self.line is None:
            import redis.asyncio as aioredis

            client = aioredis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=5)
            self.line = Line(client, False, self.on_message, self.on_lost)
        return self.line

    async def forget(self, line, exc):
        if self.line is line:
            self.line = None
        await line.close(exc)


class ShardedCluster:
    """One line per cluster shard that carries a group of this process, found by the channel's
    hash slot in the cluster client's slot map (read again after a line is lost)."""

    whole_process = False

    def __init__(self, on_message, on_lost):
        self.on_message, self.on_lost = on_message, on_lost
        self.lines = {}  # shard primary "host:port" -> Line
        self.stale = False

    async def line_for(self, channel):
        cluster = await cluster_client()
        if self.stale:
            self.stale = False
            await cluster.nodes_manager.initialize()
        node = cluster.get_node_from_key(channel)
        line = self.lines.get(node.name)
        if line is None:
            import redis.asyncio as aioredis
            from redis.backoff import NoBackoff
            from redis.retry import Retry

            client = aioredis.Redis(
                host=node.host, port=node.port, socket_connect_timeout=5, retry=Retry(NoBackoff(), 0)
            )
            line = self.lines[node.name] = Line(client, True, self.on_message, self.on_lost)
        return line

    async def follow(self, moved):
        """Take the slot's owner from a MOVED reply: it is fresher than a slot map read again,
        which a node not yet told of the move could still answer."""
        await (await cluster_client()).nodes_manager.move_slot(moved)

    async def forget(self, line, exc):
        self.lines = {name: kept for name, kept in self.lines.items() if kept is not line}
        self.stale = True  # the slot may have moved: ask the cluster again before the next join
        await line.close(exc)


def for_settings(on_message, on_lost):
    """The lines the settings ask for, or None without Redis (the hub is the whole transport)."""
    if settings.FANOUT_REDIS_CLUSTER_URL:
        return ShardedCluster(on_message, on_lost)
    if settings.REDIS_URL:
        return SingleRedis(on_message, on_lost)
    return None


_clusters = weakref.WeakKeyDictionary()  # event loop -> (cluster URL, RedisCluster client, its first initialize)


async def cluster_client():
    """This event loop's cluster client: it keeps the slot map, and routes SPUBLISH to the shard
    that owns the channel (following MOVED on its own)."""
    loop = asyncio.get_running_loop()
    url = settings.FANOUT_REDIS_CLUSTER_URL
    found = _clusters.get(loop)
    if found is None or found[0] != url:
        from redis.asyncio.cluster import RedisCluster

        client = RedisCluster.from_url(url, socket_connect_timeout=5, socket_timeout=5)
        # One first read of the slot map, which every caller meanwhile waits for.
        found = _clusters[loop] = (url, client, loop.create_task(client.initialize()))
    try:
        await asyncio.shield(found[2])
    except Exception:
        if _clusters.get(loop) is found:
            del _clusters[loop]  # the next caller tries again
        raise
    return found[1]


def ping_cluster():
    """Readiness (registered by the gateway app when the cluster is configured): the cluster
    answers, and says that every slot is served. Raises otherwise."""
    from chatsite import health

    cluster = health.client("redis_cluster", settings.FANOUT_REDIS_CLUSTER_URL, _ping_client)
    state = cluster.cluster_info()["cluster_state"]
    if state != "ok":
        raise ConnectionError(f"cluster_state is {state}")


def _ping_client(url):
    from redis.cluster import RedisCluster

    from chatsite.health import PING_TIMEOUT

    return RedisCluster.from_url(url, socket_timeout=PING_TIMEOUT, socket_connect_timeout=PING_TIMEOUT)
