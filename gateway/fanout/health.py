"""Notice when the channel layer's Redis went away or came back empty, and close the sockets.

Group subscriptions live in Redis. After a restart without persistence they are gone, and
redis-py reconnects so quietly that a socket would stay open and never hear of its conversations
again. Rather than rebuild state in place, every socket of the process is closed with
SERVER_INTERRUPTED: the client reconnects and resumes, the one path that is known to lose nothing.

One watcher per event loop checks a marker key every WS_HEALTH_INTERVAL seconds: a connection
error, or a marker that is missing or different (Redis lost its data), closes every socket that
was open. The channel layer's own receive errors trigger the same close (see the consumer).

A read that times out is not yet a loss: on a saturated worker the event loop itself runs late
(a storm of thousands of connects), and closing every socket then brings them all back at once,
which is what made it late. Only UNANSWERED_CHECKS timeouts in a row close the sockets; a restart
in between shows as a changed marker at the next read that is answered.
"""

import asyncio
import logging
import uuid

import redis.exceptions
from django.conf import settings

from chatsite.per_loop import PerLoop

log = logging.getLogger(__name__)

MARKER = "chatsite:ws:epoch"
UNANSWERED_CHECKS = 3
READ_TIMEOUT = 5  # seconds a read of the marker may take before it counts as unanswered


def patience():
    """Seconds that Redis may leave this process unanswered before the watcher calls it gone.
    Whatever waits on Redis for a socket that is opening (the hub's subscriptions) waits as long:
    a shorter wait refuses sockets for a lateness that the watcher forgives, which in a storm is
    the event loop's own, and the refused clients come back and make it later still."""
    return UNANSWERED_CHECKS * (settings.WS_HEALTH_INTERVAL + READ_TIMEOUT)


class LayerWatch:
    def __init__(self):
        self.sockets = set()  # consumers with a `layer_lost()` coroutine method
        self.task = None
        self.epoch = None
        self.client = None
        self.reading = None  # the epoch read the sockets joining now all wait for
        self.timeouts = 0  # checks in a row that Redis did not answer in time

    async def join(self, consumer):
        """Watch over a socket. Call before it subscribes to groups: a restart after this is seen.
        Raises if Redis cannot be reached."""
        if settings.REDIS_URL:
            # With no socket open, nothing of this process lives in Redis: whatever happened to it
            # meanwhile (a restart, a flush) is the new normal, not a loss to act on.
            if self.epoch is None or not self.sockets:
                self.epoch = await self._shared_epoch_read()
            if self.task is None or self.task.done():
                self.task = asyncio.get_running_loop().create_task(self._watch())
        self.sockets.add(consumer)

    def leave(self, consumer):
        self.sockets.discard(consumer)

    async def lost(self, reason, sockets=None):
        """Close every socket of this loop, or just `sockets` (those whose groups a cluster shard
        carried); they reconnect and resume."""
        if sockets is None:
            sockets, self.sockets = list(self.sockets), set()
            self.epoch = None
        else:
            sockets = [s for s in sockets if s in self.sockets]
            self.sockets.difference_update(sockets)
        if sockets:
            log.warning("channel layer interrupted (%s): closing %d socket(s)", reason, len(sockets))
        await asyncio.gather(*(s.layer_lost() for s in sockets), return_exceptions=True)

    async def _shared_epoch_read(self):
        # A burst of connects to a process with no socket yet (a start, a deploy, a storm) would
        # otherwise read once per socket, at once, and exhaust the Redis client's connections.
        if self.reading is None:
            self.reading = asyncio.ensure_future(self._read_epoch())
            self.reading.add_done_callback(self._read_done)
        return await asyncio.shield(self.reading)

    def _read_done(self, task):
        self.reading = None
        if not task.cancelled():
            task.exception()  # retrieved: each waiter gets it raised, none is left unobserved

    async def _read_epoch(self):
        if self.client is None:
            import redis.asyncio as aioredis

            self.client = aioredis.Redis.from_url(
                settings.REDIS_URL, socket_timeout=READ_TIMEOUT, socket_connect_timeout=READ_TIMEOUT
            )
        await self.client.set(MARKER, uuid.uuid4().hex, nx=True)
        return await self.client.get(MARKER)

    async def _watch(self):
        while self.sockets:
            await asyncio.sleep(settings.WS_HEALTH_INTERVAL)
            await self.check()

    async def check(self):
        """One look at the marker; closes the sockets if Redis lost its data or cannot be reached."""
        try:
            epoch = await self._read_epoch()
        except (redis.exceptions.TimeoutError, TimeoutError) as exc:
            self.timeouts += 1
            if self.timeouts >= UNANSWERED_CHECKS:
                self.timeouts = 0
                await self.lost(f"redis unanswered {UNANSWERED_CHECKS} times: {exc.__class__.__name__}")
            return
        except Exception as exc:
            await self.lost(f"redis unreachable: {exc.__class__.__name__}")
            return
        self.timeouts = 0
        if self.epoch is not None and epoch != self.epoch:
            await self.lost("redis restarted")
        elif self.epoch is None and self.sockets:
            self.epoch = epoch


watch = PerLoop(lambda loop: LayerWatch())  # the watcher of the running event loop
