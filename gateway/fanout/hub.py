"""The hub, the fan-out adapter: how a group message reaches the sockets of this process.

Channels' Redis layers keep state per socket: a channel, a Redis entry per group joined, and a
task waiting on a queue; a message to a room of M members is decoded and encoded M times. The
hub keeps one registry per event loop, group -> local sockets, and one Redis pub/sub connection
subscribed to the groups that have a local socket. A message crosses Redis once per process,
is decoded once, and a conversation event is turned into JSON text once, whatever the number of
members; delivery calls each socket's handler directly.

With FANOUT_REDIS_CLUSTER_URL the messages cross a Redis Cluster instead, with sharded pub/sub:
one connection per shard that carries a local group (gateway.fanout.lines).

Without either, the hub is the whole transport: publishers deliver straight to the loops of
this process (the embedded default).

Pub/sub keeps nothing: a message published while a process is not subscribed is not redelivered.
That is the same promise as before (a push is a hint, the store is the truth, gateway.socket.feed fills
gaps), and a lost Redis connection closes the process's sockets, which then resume.
"""

import asyncio
import contextvars
import logging
from urllib.parse import urlparse

import orjson
from django.conf import settings

from chatsite.per_loop import PerLoop
from gateway.fanout import health, lines, once, pusher

log = logging.getLogger(__name__)

SUBSCRIBE_ATTEMPTS = 3  # a join follows two MOVED replies; a slot moving on and on is a fault


def remote():
    """Whether group messages cross processes (through Redis or a Redis Cluster)."""
    return bool(settings.FANOUT_REDIS_CLUSTER_URL or settings.REDIS_URL)


def channel_prefix():
    """Pub/sub channels ignore Redis's database numbers: the number goes into the name, so that
    deployments (or test runs) on different databases of one Redis never hear each other."""
    database = urlparse(settings.REDIS_URL).path.strip("/") or "0"
    return f"chatsite:fanout:{database}:"


class SharedFrame(dict):
    """A frame that several sockets send as is: its JSON text is made once, by the first."""

    __slots__ = ("_text",)

    def text(self):
        try:
            return self._text
        except AttributeError:
            self._text = orjson.dumps(self).decode()
            return self._text


def share(message):
    """Messages that arrive once per process, for many sockets: frames inside become shared."""
    event = message.get("event")
    if event is not None:
        message["event"] = SharedFrame(event)
    return message


class Hub:
    def __init__(self, loop):
        self.loop = loop
        self.groups = {}  # group -> set of local consumers
        self.subscribed = {}  # group -> the line (pub/sub connection) subscribed to it
        self.ready = {}  # group -> future of the confirmation of its latest SUBSCRIBE
        self.lines = None  # the pub/sub connections, made on the first join (gateway.fanout.lines)
        self.lock = asyncio.Lock()
        self.prefix = channel_prefix()
        self.once = once.Once(loop)  # a change heard through several groups reaches a socket once

    # --- sockets ---

    async def join(self, group, consumer):
        """Add a socket to a group. Returns once Redis routes the group's messages here: a socket
        that reads the store after this misses nothing in between. A broken line fails the wait
        at once; a Redis that holds the line without answering, after health.patience()."""
        self.groups.setdefault(group, set()).add(consumer)
        if not remote():
            return
        for _ in range(SUBSCRIBE_ATTEMPTS):
            await self._reconcile(group)
            ready = self.ready.get(group)
            if ready is None:
                return
            try:
                await asyncio.wait_for(asyncio.shield(ready), health.patience())
                return
            except lines.Redirected as redirected:
                await self._redirected(group, ready, redirected.moved)
        raise ConnectionError(f"the slot of {group} moved at each of {SUBSCRIBE_ATTEMPTS} subscriptions")

    async def leave(self, group, consumer):
        members = self.groups.get(group)
        if members is None:
            return
        members.discard(consumer)
        if not members:
            del self.groups[group]
            if remote():
                try:
                    await self._reconcile(group)
                except Exception:
                    log.info("unsubscribe from %s failed", group, exc_info=True)

    def deliver(self, group, message):
        members = list(self.groups.get(group, ()))
        if not members:
            return
        for consumer, told in self.once.deliveries(group, message, members, self.groups):
            try:
                consumer.hub_message(told)
            except Exception:
                log.warning("delivery of %s to a socket failed", message.get("type"), exc_info=True)

    # --- Redis ---

    async def _reconcile(self, group):
        """Make the subscription match the group's local members, one change at a time: a leave
        and a join racing for the same group end subscribed exactly when a member is left."""
        async with self.lock:
            wanted = group in self.groups
            if wanted == (group in self.subscribed):
                return
            if self.lines is None:
                self.lines = lines.for_settings(self._message, self._lost)
            channel = self.prefix + group
            if wanted:
                line = await self.lines.line_for(channel)
                self.ready[group] = line.expect(channel, self.loop)
                self.subscribed[group] = line
                await line.subscribe(channel, self.loop)
            else:
                line = self.subscribed.pop(group)
                self.ready.pop(group, None)
                await line.unsubscribe(channel)

    async def _redirected(self, group, ready, moved):
        """A subscription answered MOVED: it never started. Forget it (once, whichever of the
        sockets waiting on it comes first) and learn where the slot lives now."""
        async with self.lock:
            if self.ready.get(group) is ready:
                del self.ready[group]
                del self.subscribed[group]
            await self.lines.follow(moved)

    def _message(self, channel, data):
        self.deliver(channel[len(self.prefix) :], share(orjson.loads(data)))

    async def _lost(self, line, exc):
        """A pub/sub connection broke: whatever was published meanwhile is gone for the groups it
        carried. Close their sockets (they resume) and subscribe afresh on the next join. With a
        single Redis that is every socket of the process; in a cluster, those of one shard."""
        if self.lines.whole_process:
            sockets = None
            self.groups.clear()
            self.subscribed.clear()
            self.ready.clear()
        else:
            sockets = set()
            for group in [group for group, carrier in self.subscribed.items() if carrier is line]:
                sockets |= self.groups.pop(group, set())
                del self.subscribed[group]
                self.ready.pop(group, None)
        await self.lines.forget(line, exc)
        await health.watch().lost(f"fan-out connection failed: {exc.__class__.__name__}", sockets)


hub = PerLoop(Hub)


def _redis_client(loop):
    import redis.asyncio as aioredis

    return aioredis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=5, socket_timeout=5)


_publisher = PerLoop(_redis_client)


async def publish(group, message):
    """Send to every socket in the group, in every process. From async code."""
    if not remote():
        deliver_everywhere(group, message)
        return
    if settings.FANOUT_REDIS_CLUSTER_URL:
        # SPUBLISH reaches the subscribers of the shard that owns the channel's slot.
        await (await lines.cluster_client()).spublish(channel_prefix() + group, orjson.dumps(message))
        return
    await _publisher().publish(channel_prefix() + group, orjson.dumps(message))


def deliver_everywhere(group, message):
    """Without Redis: hand the message to the hub of every loop of this process, on its loop."""
    for loop, found in hub.items():
        # A JSON round trip, as over Redis: the sockets get plain JSON values, never the publisher's objects.
        copy = share(orjson.loads(orjson.dumps(message)))
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            found.deliver(group, copy)
        else:
            # Not the caller's context: a sync caller runs inside asgiref's thread executor, and
            # tasks spawned by the delivery would believe they do too (and refuse to use it).
            loop.call_soon_threadsafe(found.deliver, group, copy, context=contextvars.Context())


def send_now(group, message):
    """From sync code, without waiting: through the push thread to Redis, or straight to this
    process's loops without Redis."""
    if remote():
        pusher.submit(publish, group, message)
    else:
        deliver_everywhere(group, message)
