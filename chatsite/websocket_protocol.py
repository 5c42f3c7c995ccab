"""uvicorn's sans-I/O WebSocket protocol, lighter to hold open by the thousand.

The same protocol (`--ws websockets-sansio`), with changes that only affect memory:
- the handshake's request and response are let go once the handshake is over. uvicorn keeps both
  for the connection's life but reads neither after it, and their headers were about 4 KB of every
  open socket. The ASGI scope keeps a copy of the request's headers, as the application reads them.
- its state lives in slots: with more than 30 attributes an instance's __dict__ stops sharing its
  keys with the other instances, a whole dict per connection. An attribute a later uvicorn adds
  falls back to the __dict__ and works the same.
- the queue of received messages and the flag of a writable transport are the few lines of them
  that uvicorn uses (an asyncio.Queue is three deques and an Event, 2.9 KB; an Event 0.8 KB).
- permessage-deflate as WS_COMPRESSION says. By default each message is compressed alone, by
  both sides (server_ and client_no_context_takeover, which a server may ask of any client), and
  the compressor is let go after each message: uvicorn's choice, a 12-bit window kept by each side
  for the socket's life, was 31 KB of every browser's idle socket (bench.ws_compression). The
  same no-context-takeover mode is the only one gorilla/websocket implements, which Go servers such
  as Centrifugo use. The cost is in bytes: a chat frame compresses less without the frames before
  it (bench.ws_compression measures by how much). One factory per mode serves every socket.
- the keepalive pings of every socket of a loop wait on one timer (Pings), not on a timer each: a
  timer handle, its callback's context and the event loop's timer were 0.5 KB of each open socket.
  The ping and its pong deadline are uvicorn's.
"""

import asyncio
import logging
from collections import deque
from functools import cache

from django.conf import settings
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.extensions.permessage_deflate import ServerPerMessageDeflateFactory

from chatsite.per_loop import PerLoop

log = logging.getLogger(__name__)


class Inbox:
    """What uvicorn uses of asyncio.Queue: put_nowait, get and empty, for one reader at a time (the
    application's receive)."""

    __slots__ = ("items", "waiter")

    def __init__(self):
        self.items = []
        self.waiter = None

    def put_nowait(self, item):
        self.items.append(item)
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(None)

    def empty(self):
        return not self.items

    async def get(self):
        while not self.items:
            self.waiter = asyncio.get_running_loop().create_future()
            try:
                await self.waiter
            finally:
                self.waiter = None
        return self.items.pop(0)


class Flag:
    """What uvicorn uses of asyncio.Event: set, clear and wait. The waiters' list is made only while
    someone waits (the transport asked to pause writing)."""

    __slots__ = ("up", "waiters")

    def __init__(self):
        self.up = False
        self.waiters = None

    def is_set(self):
        return self.up

    def set(self):
        self.up = True
        waiters, self.waiters = self.waiters or (), None
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    def clear(self):
        self.up = False

    async def wait(self):
        while not self.up:
            waiter = asyncio.get_running_loop().create_future()
            if self.waiters is None:
                self.waiters = []
            self.waiters.append(waiter)
            await waiter


@cache
def extensions(mode):
    """What a socket may negotiate under WS_COMPRESSION = `mode` (settings checks the value): shared
    by every socket, where uvicorn makes a factory for each."""
    if mode == "off":
        return []
    alone = mode == "message"
    factory = ServerPerMessageDeflateFactory(
        # uvicorn's windows and memory level, the defaults of websockets' own server
        server_max_window_bits=12,
        client_max_window_bits=12,
        compress_settings={"memLevel": 5},
        server_no_context_takeover=alone,
        client_no_context_takeover=alone,
    )
    return [factory]


PING_SPREAD = 1.0  # seconds: a ping due this soon goes with the ones due now


class Ping:
    """A socket's next keepalive ping, in its loop's Pings: cancelled like the timer it replaces."""

    __slots__ = ("protocol", "when")

    def __init__(self, when, protocol):
        self.when, self.protocol = when, protocol

    def cancel(self):
        self.protocol = None


class Pings:
    """The keepalive pings of one event loop's sockets, in the order they fall due, on one timer.
    Every socket waits the same interval (less its last round trip), so a later ping is queued
    after the earlier ones; a timer fires for every ping due within PING_SPREAD."""

    def __init__(self, loop):
        self.loop = loop
        self.queue = deque()
        self.timer = None

    def after(self, delay, protocol):
        ping = Ping(self.loop.time() + delay, protocol)
        self.queue.append(ping)
        if self.timer is None:
            self.timer = self.loop.call_at(ping.when, self._due)
        return ping

    def _due(self):
        self.timer = None
        horizon = self.loop.time() + PING_SPREAD
        while self.queue and self.queue[0].when <= horizon:
            protocol = self.queue.popleft().protocol
            if protocol is None:  # its socket closed
                continue
            try:
                protocol.send_keepalive_ping()
            except Exception:
                log.warning("a keepalive ping failed", exc_info=True)
        if self.queue:
            self.timer = self.loop.call_at(self.queue[0].when, self._due)


pings = PerLoop(Pings)


class WebSocketProtocol(WebSocketsSansIOProtocol):
    __slots__ = (
        *("app", "app_state", "asgi_version", "client", "close_sent", "close_timeout", "close_timer"),
        *("config", "conn", "connections", "curr_msg_data_type", "default_headers", "disconnected"),
        *("frames", "handshake_complete", "handshake_initiated", "initial_response", "last_ping_rtt"),
        *("logger", "loop", "pending_ping_payload", "ping_interval", "ping_sent_at", "ping_timeout"),
        *("ping_timer", "pong_timer", "queue", "read_paused", "request", "response", "root_path"),
        *("scheme", "scope", "server", "tasks", "transport", "writable"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        mode = settings.WS_COMPRESSION if self.config.ws_per_message_deflate else "off"
        self.conn.available_extensions = extensions(mode)  # read only when the handshake is answered
        was_set = self.writable.is_set()
        self.queue, self.writable = Inbox(), Flag()
        if was_set:
            self.writable.set()

    def schedule_ping(self):
        # uvicorn's delay, on the loop's one timer; ping_timer is what stop_keepalive cancels.
        self.ping_timer = pings().after(max(0.0, self.ping_interval - self.last_ping_rtt), self)

    def start_keepalive(self):
        # Called once, right after the accepting response was written: the handshake is over.
        super().start_keepalive()
        # websockets' parser keeps the request object as long as the connection (a local of its
        # generator); emptied, it keeps no headers. The scope has its own copy of them.
        self.request.headers.clear()
        self.request = self.response = None
