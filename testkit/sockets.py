"""A protocol-speaking test client, over Channels' WebsocketCommunicator (in process) or the
`websockets` library (real servers), and the fixtures that keep tests apart (a pytest plugin)."""

import asyncio
import contextlib
import itertools
import json

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client as HttpClient
from knox.models import AuthToken

from gateway import presence
from gateway.socket.routing import websocket_application
from testkit.services import deadline

ORIGIN = (b"origin", b"http://testserver")
_ids = itertools.count(1)


class Closed(Exception):
    def __init__(self, code):
        super().__init__(f"socket closed with {code}")
        self.code = code


class InProcess:
    """A consumer run by WebsocketCommunicator in this event loop."""

    def __init__(self, communicator):
        self.communicator = communicator

    async def receive(self, timeout):
        comm = self.communicator
        # Not receive_output: its timeout cancels the application.
        try:
            output = await asyncio.wait_for(comm.output_queue.get(), timeout)
        except TimeoutError:
            if comm.future.done():
                comm.future.result()  # the consumer crashed: show why
            raise
        if output["type"] == "websocket.close":
            raise Closed(output.get("code", 1000))
        return output["text"]

    async def send(self, text=None, binary=None):
        await self.communicator.send_to(text_data=text, bytes_data=binary)

    async def close(self):
        _open.remove(self.communicator)
        await self.communicator.disconnect()


class OverTcp:
    """A socket to a real server (the `websockets` client)."""

    def __init__(self, websocket):
        self.websocket = websocket

    async def receive(self, timeout):
        from websockets.exceptions import ConnectionClosed

        try:
            return await asyncio.wait_for(self.websocket.recv(), timeout)
        except ConnectionClosed as closed:
            raise Closed(closed.rcvd.code if closed.rcvd else 1006) from None

    async def send(self, text=None, binary=None):
        await self.websocket.send(text if text is not None else binary)

    async def close(self):
        await self.websocket.close()


class Client:
    """Frames in, frames out; `request` waits for the answer to its id, keeping other frames."""

    def __init__(self, transport):
        self.transport = transport
        self.backlog = []
        self.hello = None
        self.presence = None
        self.close_code = None

    async def _next(self, timeout):
        if self.close_code is not None:
            raise Closed(self.close_code)
        try:
            return json.loads(await self.transport.receive(timeout))
        except Closed as closed:
            self.close_code = closed.code
            raise

    async def recv(self, timeout=None):
        if self.backlog:
            return self.backlog.pop(0)
        return await self._next(timeout or deadline())

    async def send(self, frame):
        await self.transport.send(text=frame if isinstance(frame, str) else json.dumps(frame))

    async def request(self, frame, timeout=None):
        frame = {"id": f"r{next(_ids)}", **frame}
        await self.send(frame)
        answers = ("ack", "error", "pong", "hello")
        return await self.wait_for(lambda f: f.get("id") == frame["id"] and f["type"] in answers, timeout)

    async def wait_for(self, predicate, timeout=None):
        for i, frame in enumerate(self.backlog):
            if predicate(frame):
                return self.backlog.pop(i)
        until = asyncio.get_running_loop().time() + (timeout or deadline())
        while True:
            left = until - asyncio.get_running_loop().time()
            try:
                if left <= 0:
                    raise TimeoutError
                frame = await self._next(left)
            except TimeoutError:
                raise TimeoutError(f"no such frame; got {self.backlog}") from None
            if predicate(frame):
                return frame
            self.backlog.append(frame)

    async def events(self, conversation_id, count, timeout=None):
        """The next `count` conversation events (frames with a seq) of one conversation."""
        cid = str(conversation_id)

        def is_event(frame):
            return frame.get("conversation_id") == cid and "seq" in frame and frame["type"] != "resync"

        return [await self.wait_for(is_event, timeout) for _ in range(count)]

    async def quiet(self):
        """The frames that arrive before the answer to a ping: what the server decided before it
        (none expected, usually). An acknowledgement, not a wait."""
        got = list(self.backlog)
        self.backlog.clear()
        marker = {"type": "ping", "id": f"q{next(_ids)}"}
        await self.send(marker)
        while True:
            frame = await self._next(deadline())
            if frame.get("type") == "pong" and frame.get("id") == marker["id"]:
                return got
            got.append(frame)

    async def closed(self, timeout=None):
        """The close code the server sent."""
        try:
            while True:
                await self._next(timeout or deadline())
        except Closed as closed:
            return closed.code

    async def disconnect(self):
        await self.transport.close()

    async def start(self, resume=None):
        """Past hello and the presence snapshot; then live (a ping) or resuming."""
        self.hello = await self.recv()
        assert self.hello["type"] == "hello", self.hello
        self.presence = await self.recv()
        assert self.presence["type"] == "presence", self.presence
        if resume is not None:
            ack = await self.request({"type": "resume", "conversations": {str(k): v for k, v in resume.items()}})
            assert ack["type"] == "ack", ack
        else:
            assert (await self.request({"type": "ping"}))["type"] == "pong"  # the first frame: go live now
        return self


def communicator(path="/ws/v1/", headers=(ORIGIN,), subprotocols=None):
    return WebsocketCommunicator(websocket_application, path, headers=list(headers), subprotocols=subprotocols)


@database_sync_to_async
def token_for(user):
    return AuthToken.objects.create(user)[1]


_open = []


async def open_socket(path="/ws/v1/", headers=(ORIGIN,), subprotocols=None):
    comm = communicator(path, headers, subprotocols)
    _open.append(comm)
    connected, _ = await comm.connect(timeout=deadline())
    assert connected
    return Client(InProcess(comm))


async def connect(user, resume=None):
    """An authenticated in-process socket (token subprotocol), past the hello."""
    token = await token_for(user)
    client = await open_socket(subprotocols=["chatsite.v1", f"token.{token}"])
    return await client.start(resume)


async def send_message(client, conversation_id, text):
    answer = await client.request(
        {"type": "send", "conversation_id": str(conversation_id), "client_id": f"ws{next(_ids)}", "text": text}
    )
    assert answer["type"] == "ack", answer
    return answer["result"]["message"]


def in_thread(func, *args, **kwargs):
    return database_sync_to_async(func)(*args, **kwargs)


@pytest.fixture
def clean_realtime_state():
    """Each test starts with no groups, no presence and no rate-limit counters left by another."""
    if settings.REDIS_URL:
        import redis

        client = redis.Redis.from_url(settings.REDIS_URL)
        client.flushdb()
        client.close()
    else:
        presence._backend = None
        from django.core.cache import cache

        cache.clear()


@pytest.fixture
async def close_sockets():
    """Every socket a test opened is closed in the test's own loop (the layer is shared by all)."""
    yield
    while _open:
        comm = _open.pop()
        with contextlib.suppress(Exception, asyncio.CancelledError):  # already gone is fine
            await comm.disconnect(timeout=5)


def session_cookie(user):
    client = HttpClient()
    client.force_login(user)
    name = settings.SESSION_COOKIE_NAME
    return (b"cookie", f"{name}={client.cookies[name].value}".encode())


class HubMember:
    """Stands in for a socket where the hub delivers (the hub only calls hub_message): it keeps
    every group message it hears."""

    def __init__(self):
        self.received = []
        self.arrived = asyncio.Event()

    def hub_message(self, message):
        self.received.append(message)
        self.arrived.set()

    async def next(self, timeout=None):
        await asyncio.wait_for(self.arrived.wait(), timeout or deadline())
        self.arrived.clear()
        return self.received[-1]

    async def until(self, done):
        """Wait, within the test deadline, until `done(received)` holds."""
        async with asyncio.timeout(deadline()):
            while not done(self.received):
                self.arrived.clear()
                await self.arrived.wait()
