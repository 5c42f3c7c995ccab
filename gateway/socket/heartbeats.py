"""The presence heartbeats of one event loop's sockets, renewed together.

Each open socket renews its connection's presence entry every PRESENCE_HEARTBEAT seconds, so that
a process that dies lets its connections lapse (gateway.presence). A task per socket did that with
a coroutine, a sleeping future and a timer held by every idle socket, and one trip to a thread
and to Redis per socket and beat: 2,500 of each a second for 50,000 sockets. Here one task per
loop renews the sockets that are due, all in one trip to a thread and a Redis pipeline, and tells
each socket whose renewal changed its user's status (a connection that had lapsed came back).

Sockets are due in the order they joined: a renewal puts a socket back at the end, one interval
later, so the queue stays in order of due time and a beat looks only at the sockets it renews.
A beat takes every socket due within the next BEAT_SPREAD seconds, which renews some a little
early (the interval is a third of the entries' time to live) and keeps the beats few.
"""

import asyncio
import logging
import weakref
from collections import deque

from django.conf import settings

from chatsite.per_loop import PerLoop
from chatsite.threads import off_loop
from gateway import presence

log = logging.getLogger(__name__)

BEAT_SPREAD = 1.0  # seconds: sockets due this soon after the first are renewed with it


class Heartbeats:
    def __init__(self, loop):
        self.loop = loop
        # (due at, weak reference to a socket), in order of due time. Weak: a closed socket is
        # not kept alive for up to an interval just to be dropped at its next beat.
        self.queue = deque()
        self.task = None

    def join(self, socket):
        """Renew the presence of `socket` (user, connection_id, closing, _announce) from one
        interval on, until it is closing."""
        self.queue.append((self.loop.time() + settings.PRESENCE_HEARTBEAT, weakref.ref(socket)))
        if self.task is None or self.task.done():
            self.task = self.loop.create_task(self._run())

    async def _run(self):
        while self.queue:
            await asyncio.sleep(max(self.queue[0][0] - self.loop.time(), 0))
            await self.beat()

    async def beat(self):
        """Renew every open socket due by now plus BEAT_SPREAD, and queue it for the next beat."""
        horizon, sockets = self.loop.time() + BEAT_SPREAD, []
        while self.queue and self.queue[0][0] <= horizon:
            socket = self.queue.popleft()[1]()
            if socket is not None and not socket.closing:
                sockets.append(socket)
        if not sockets:
            return
        due = self.loop.time() + settings.PRESENCE_HEARTBEAT
        self.queue.extend((due, weakref.ref(socket)) for socket in sockets)
        try:
            changes = await off_loop(presence.heartbeats)([(s.user.pk, s.connection_id) for s in sockets])
        except Exception:
            # Redis is away for a moment: the entries live PRESENCE_TTL, three intervals.
            log.info("presence heartbeats of %d socket(s) failed", len(sockets), exc_info=True)
            return
        for socket, change in zip(sockets, changes, strict=True):
            if change and not socket.closing:
                socket._announce(change)


beats = PerLoop(Heartbeats)


def join(socket):
    """Keep `socket`'s presence renewed by its loop's heartbeats."""
    beats().join(socket)
