"""The WebSocket consumer: one socket per client, carrying every conversation of its user.

A thin driving adapter. It authenticates the socket, parses each frame (gateway.protocol), calls
the same actions and selectors as REST in a database thread, and writes the answer. Delivery of
conversation events lives in gateway.socket.delivery, presence and typing in
gateway.socket.signals. Every frame to the client leaves through one queue, so the order in
which frames were decided is the order on the wire.
"""

import asyncio
import contextlib
import inspect
import logging
import time
import uuid
from collections import deque

import orjson
from channels.consumer import get_handler_name
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from chats import actions as chat_actions
from chats import group_commit
from chats.serializers import message_data
from chatsite import strict
from chatsite.api_errors import ApiError
from chatsite.threads import in_thread, off_loop
from gateway import fanout, presence, protocol
from gateway.fanout import health
from gateway.protocol import Close, FrameError
from gateway.socket import auth, heartbeats, start
from gateway.socket.budget import FrameBudget
from gateway.socket.delivery import DeliveryMixin
from gateway.socket.signals import SignalsMixin

log = logging.getLogger(__name__)

UNAVAILABLE = (RedisConnectionError, RedisTimeoutError, ConnectionError)
SAW_EVERY = 1.0  # seconds between marks of a conversation as looked at by one socket's sends
# The tasks of a socket that runs none: one shared empty set, where a set of its own (216 bytes,
# never smaller once used) stayed with each idle socket, twice.
NONE_RUNNING = frozenset()


def _added(tasks, task):
    """`tasks` with `task` in it: a set of the socket's own from the first task on."""
    if tasks is NONE_RUNNING:
        tasks = set()
    tasks.add(task)
    return tasks


def _removed(tasks, task):
    """`tasks` without `task`, and the shared empty set once none is left."""
    if tasks is not NONE_RUNNING:
        tasks.discard(task)
    return tasks or NONE_RUNNING


class ChatConsumer(DeliveryMixin, SignalsMixin, AsyncWebsocketConsumer):
    channel_layer_alias = "none"  # no Channels layer: group messages come from the fan-out's hub
    # Slots for the state of this class and its mixins. With more than 30 attributes an instance's
    # __dict__ no longer shares its keys with the others: a whole dict per socket, about 2 KB.
    __slots__ = (
        *("scope", "channel_layer", "base_send"),  # Channels' own
        *("user", "credential", "connection_id", "hub", "hub_backlog", "tasks", "closing", "budget"),
        *("sending", "saw_at", "outbox", "wake", "timer", "writer"),
        *DeliveryMixin.STATE,
        *SignalsMixin.STATE,
    )

    async def __call__(self, scope, receive, send):
        # Channels' loop without its machinery for several sources: with no channel layer the
        # client is the only one, and Channels' loop made a task and an asyncio.wait per frame.
        self.scope, self.channel_layer, self.base_send = scope, None, send
        with contextlib.suppress(StopConsumer):  # the end of a socket, raised by its disconnect
            while True:
                await self.dispatch(await receive())

    # --- group messages from the fan-out ---

    async def dispatch(self, message):
        # Like AsyncConsumer.dispatch without closing old DB connections on every event: the
        # handlers that use the database do it in a database thread. Handlers of group messages
        # that need no I/O are plain functions, so that the hub can call them directly.
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:  # a message of a newer server version, during a rolling deploy
            log.warning("no handler for %s", message["type"])
            return
        result = handler(message)
        if inspect.isawaitable(result):
            await result

    def hub_message(self, message):
        """A group message from the hub, on this socket's loop. Handled at once when its handler
        needs no I/O; behind a handler that does (a block list reload), or before hello, later
        messages wait, so that each is handled in the state the ones before it left."""
        if self.closing or self.user is None:
            return
        if self.hub_backlog is not None:
            self.hub_backlog.append(message)
            return
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            log.warning("no handler for %s", message["type"])
            return
        result = handler(message)
        if inspect.isawaitable(result):
            self.hub_backlog = deque()
            self._spawn(self._hub_drain(result))

    async def _hub_drain(self, pending=None):
        try:
            while True:
                if pending is not None:
                    try:
                        await pending
                    except Exception:
                        log.warning("a group message handler failed", exc_info=True)
                if not self.hub_backlog:
                    return
                pending = self.dispatch(self.hub_backlog.popleft())
        finally:
            self.hub_backlog = None

    async def publish(self, group, message):
        await fanout.publish(group, message)

    async def layer_lost(self):
        self._close(Close.SERVER_INTERRUPTED)

    # --- connect, authenticate, disconnect ---

    async def websocket_connect(self, message):
        self.user = None
        self.credential = None
        self.connection_id = uuid.uuid4().hex
        self.hub = fanout.adapter().hub()
        self.hub_backlog = None  # group messages waiting behind a handler that does I/O
        self.tasks = NONE_RUNNING
        self.closing = False
        self.budget = FrameBudget()
        self.sending = NONE_RUNNING  # send frames being answered (pipelined)
        self.saw_at = {}  # conversation id -> when a send last marked it as looked at (monotonic)
        self.outbox = []  # frames decided and not yet written, then maybe a close code (an int)
        self.wake = None  # what the writer awaits while the outbox is empty
        self.timer = None  # the deadline of the moment: to authenticate, then to resume
        self.writer = asyncio.ensure_future(self._write())
        self._init_delivery()
        self._init_signals()

        origin = auth.check_origin(self.scope)
        subprotocol, token, version_ok = auth.subprotocol_offer(self.scope)
        # A cookie counts only with an allowed Origin and no token: without an Origin, any page
        # could have opened the socket.
        cookie = auth.session_cookie(self.scope) if origin == auth.ALLOWED and token is None else None
        # Nothing reads the headers again, and uvicorn's protocol holds this scope, with its list,
        # for the socket's life: 1.1 KB of every open socket.
        self.scope["headers"].clear()
        # Accept first, even to refuse: only an accepted socket can carry a close code.
        await self.accept(subprotocol)
        if origin == auth.REFUSED:
            return self._close(Close.FORBIDDEN_ORIGIN)
        if not version_ok:
            return self._close(Close.UNSUPPORTED_VERSION)
        if token is not None:
            return await self._authenticate_token(token)
        if cookie is not None:
            found = await in_thread(auth.session_user)(cookie)
            if found is not None:
                return await self._start(*found)
        self._later(settings.WS_AUTH_TIMEOUT, self._auth_deadline)

    def _auth_deadline(self):
        if self.user is None:
            self._close(Close.AUTH_TIMEOUT)

    async def _authenticate_token(self, token, request_id=None):
        found = await in_thread(auth.user_for_token)(token)
        if found is None:
            return self._close(Close.UNAUTHENTICATED)
        await self._start(*found, request_id=request_id)

    async def _start(self, user, credential, request_id=None):
        self.user, self.credential = user, credential
        # Group messages that arrive before hello wait for it: nothing may precede hello.
        self.hub_backlog = deque()
        try:
            await health.watch().join(self)
            await self.hub.join(fanout.user_group(user.pk), self)
            begun = await in_thread(start.bootstrap)(user)
            if begun is None:
                return self._close(Close.ACCOUNT_DISABLED)
            (self.blocked, self.blockers) = begun.blocks
            self._start_feeds(begun.conversations)
            await self._sync_groups()
            snapshot, change = await self._go_online(begun.co_members)
        except Exception:
            log.warning("socket of user %s could not start", user.pk, exc_info=True)
            return self._close(Close.SERVER_INTERRUPTED)
        self._emit(start.hello(user, self.connection_id, begun.conversations, request_id))
        self._emit(snapshot)
        self._spawn(self._hub_drain())
        if change:
            self._announce(change)
        heartbeats.join(self)
        self._later(settings.WS_RESUME_GRACE, self._grace_over)

    async def websocket_disconnect(self, message):
        self.closing = True
        health.watch().leave(self)
        for task in [*self.tasks, self.timer, self.fill_task, self.writer]:
            if task is not None:
                task.cancel()
        if self.user is not None:
            await self._leave()
        raise StopConsumer()

    async def _leave(self):
        try:
            for cid in self.subscribed:
                await self.hub.leave(fanout.conversation_group(cid), self)
            await self.hub.leave(fanout.user_group(self.user.pk), self)
            await self._go_offline()
        except Exception:
            # Redis is down: the presence entry lapses without heartbeats.
            log.info("cleanup of a closed socket failed", exc_info=True)

    async def chat_blocks(self, message):
        self.blocked, self.blockers = await in_thread(start.blocks_of)(self.user)

    def chat_disconnect(self, message):
        # The user's access was revoked (gateway.fanout.disconnect_user_after_commit).
        only, keep = message.get("only"), message.get("keep")
        if (only is None or only == self.credential) and (keep is None or keep != self.credential):
            self._close(message["code"])

    # --- frames from the client ---

    async def receive(self, text_data=None, bytes_data=None):
        if self.closing:
            return
        if not self.budget.take():
            if self.budget.strike():
                return self._close(Close.RATE_LIMITED)
            retry = self.budget.retry_after()
            return self._emit(protocol.error(None, "rate_limited", "Too many frames; slow down.", retry_after=retry))
        raw, problem = self._decode(text_data)
        if self.user is None:
            return await self._authenticate(None if problem else raw)
        if problem:
            return self._emit(problem)
        try:
            kind, request_id, data = protocol.parse(raw)
        except FrameError as exc:
            return self._emit(protocol.error(exc.request_id, exc.code, exc.message, exc.fields))
        if self.held and kind != "resume":
            self._release_held()
        try:
            if kind == "send":
                await self._pipeline(request_id, data)
            else:
                await self._settle_sends()
                await self._answer(kind, request_id, data)
        finally:
            if self.held:
                self._release_held()

    async def _pipeline(self, request_id, data):
        """A send does not wait for the one before it: while one is being committed, the next ones
        queue for the same batch (chats.group_commit), and their acks leave in order as each
        commits. Past WS_SENDS_IN_FLIGHT the socket reads no further frame until one is done."""
        while len(self.sending) >= settings.WS_SENDS_IN_FLIGHT:
            await asyncio.wait(self.sending, return_when=asyncio.FIRST_COMPLETED)
        # Queued for its batch here, in frame order, not when the task below first runs.
        committed = group_commit.submit(chat_actions.SendRequest(self.user, **data))
        task = self._spawn(self._answer("send", request_id, {"committed": committed}))
        self.sending = _added(self.sending, task)
        task.add_done_callback(self._send_done)

    def _send_done(self, task):
        self.sending = _removed(self.sending, task)

    async def _settle_sends(self):
        """Every other frame is handled once the sends before it took effect: a read marker up to
        a seq just sent, an edit of a message just sent, see those messages."""
        if self.sending:
            await asyncio.wait(set(self.sending))

    def _decode(self, text):
        """(JSON value, None) or (None, error frame)."""
        if text is None:
            return None, protocol.error(None, "binary_unsupported", "Frames are JSON text.")
        limit = settings.WS_MAX_FRAME_BYTES
        if len(text) > limit or len(text.encode(errors="surrogatepass")) > limit:
            if self.budget.strike():  # big frames cost memory: repeated, they close like a flood
                self._close(Close.RATE_LIMITED)
            return None, protocol.error(None, "too_large", f"A frame is at most {limit} bytes.")
        try:
            return strict.loads(text), None
        except strict.TooDeep:
            return None, protocol.error(None, "too_deep", f"A frame nests at most {strict.max_depth()} levels.")
        except (ValueError, RecursionError):
            return None, protocol.error(None, "invalid_json", "The frame is not JSON.")

    async def _authenticate(self, raw):
        """Before authentication only a valid auth frame is answered; anything else closes."""
        try:
            kind, request_id, data = protocol.parse(raw)
        except FrameError:
            kind = None
        if kind != "auth":
            return self._close(Close.UNAUTHENTICATED)
        await self._authenticate_token(data["token"], request_id)

    async def _answer(self, kind, request_id, data):
        try:
            result = await getattr(self, f"_do_{kind}")(**data)
        except UNAVAILABLE as exc:
            # Redis (presence, typing, the fan-out) is away for a moment: the client's fault it is
            # not, and nothing was written. A documented answer, and a warning without traceback.
            log.warning("frame %s: a backend is unavailable (%s)", kind, exc.__class__.__name__)
            return self._emit(protocol.error(request_id, "unavailable", "Try again in a moment.", retry_after=1))
        except Exception as exc:
            frame = protocol.error_from_exception(request_id, exc)
            if frame is None:
                log.exception("frame %s failed", kind)
                frame = protocol.error(request_id, "server_error", "Something went wrong on the server.")
            return self._emit(frame)
        if kind == "ping":
            self._emit(protocol.pong(request_id))
        elif request_id is not None:
            self._emit(protocol.ack(request_id, result))

    # --- one method per client frame: each calls the action REST calls ---

    async def _do_auth(self, token):
        raise ApiError("already_authenticated", "This socket is already authenticated.", 400)

    async def _do_ping(self):
        return None

    async def _do_resume(self, conversations):
        return await self.resume(conversations)

    async def _do_send(self, committed):
        """`committed`: the send's future from the group commit (_pipeline queued it)."""
        message, created = await committed
        self._saw_after_send(message.conversation_id)
        return {"message": message_data(message), "created": created}

    async def _do_edit(self, conversation_id, message_id, text):
        message = await in_thread(chat_actions.do_edit_message)(self.user, conversation_id, message_id, text)
        return {"message": message_data(message)}

    async def _do_delete(self, conversation_id, message_id):
        message = await in_thread(chat_actions.do_delete_message)(self.user, conversation_id, message_id)
        return {"message": message_data(message)}

    async def _do_react(self, conversation_id, message_id, emoji, add=True):
        message = await in_thread(chat_actions.do_react)(self.user, conversation_id, message_id, emoji, add=add)
        return {"message": message_data(message)}

    async def _do_unreact(self, conversation_id, message_id, emoji):
        return await self._do_react(conversation_id, message_id, emoji, add=False)

    async def _do_read(self, conversation_id, seq):
        last_read = await in_thread(chat_actions.do_mark_read)(self.user, conversation_id, seq)
        await self._saw(conversation_id)
        return {"last_read_seq": last_read}

    async def _do_typing(self, conversation_id):
        await in_thread(chat_actions.check_typing)(self.user, conversation_id)
        await self._saw(conversation_id)
        return await self.send_typing(str(conversation_id))

    def _saw_after_send(self, conversation_id):
        # Not awaited: acks of pipelined sends leave in their order, and a Redis blip must not turn
        # a committed send into an error. Once a second per conversation is plenty for a mark that
        # notifications read against NOTIFY_LOOKING_SECONDS.
        now, cid = time.monotonic(), str(conversation_id)
        if now - self.saw_at.get(cid, -SAW_EVERY) >= SAW_EVERY:
            self.saw_at[cid] = now
            self._spawn(self._saw_quietly(cid))

    async def _saw_quietly(self, conversation_id):
        try:
            await self._saw(conversation_id)
        except UNAVAILABLE as exc:
            log.info("marking %s as looked at failed: %s", conversation_id, exc.__class__.__name__)

    async def _saw(self, conversation_id):
        # Reading, sending and typing mean this person is looking: notifications hold back.
        await off_loop(presence.saw_conversation)(self.user.pk, conversation_id)

    async def _do_presence(self, status):
        return await self.set_presence(status)

    # --- the way out ---

    def _emit(self, frame):
        if self.closing:
            return
        self._queue(frame)
        if len(self.outbox) > settings.WS_SEND_QUEUE_MAX:
            # The client does not read: rather than hold its frames without bound, let it resume.
            self.outbox.clear()
            self._close(Close.TOO_SLOW)

    def _close(self, code):
        if not self.closing:
            self._queue(code)  # after the frames already decided
            self.closing = True

    def _queue(self, item):
        # A list and a future rather than an asyncio.Queue: the queue's three deques and event
        # were 2.5 KB of every idle socket.
        self.outbox.append(item)
        if self.wake is not None and not self.wake.done():
            self.wake.set_result(None)

    def encode(self, frame):
        return orjson.dumps(frame).decode()

    async def _write(self):
        loop = asyncio.get_running_loop()
        try:
            while True:
                while not self.outbox:
                    self.wake = loop.create_future()
                    await self.wake
                item = self.outbox.pop(0)
                if isinstance(item, int):
                    await self.close(item)
                    return
                try:
                    text = item.text() if hasattr(item, "text") else self.encode(item)
                except Exception:
                    # A frame that does not encode is the server's fault: the socket must not live
                    # on silent. Close it with a code; the client resumes.
                    log.warning("a frame did not encode; closing with %s", Close.SERVER_ERROR, exc_info=True)
                    self.closing = True
                    await self.close(Close.SERVER_ERROR)
                    return
                await self.send(text_data=text)
                # Let go of them before waiting: an idle socket would hold its last frame and its
                # text (often a presence frame) until the next one came.
                item = text = None
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            # The transport is gone (the client left, the connection broke): nothing to close, and
            # nothing the server did wrong.
            self.closing = True
            log.info("socket write failed, the client is gone: %s", exc.__class__.__name__)

    def _later(self, delay, callback):
        """Replace the socket's deadline. A timer, not a task asleep: no coroutine and future held by
        each socket meanwhile."""
        if self.timer is not None:
            self.timer.cancel()
        self.timer = asyncio.get_running_loop().call_later(delay, callback)

    def _spawn(self, coroutine):
        task = asyncio.ensure_future(coroutine)
        self.tasks = _added(self.tasks, task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task):
        self.tasks = _removed(self.tasks, task)
        if not task.cancelled() and task.exception() is not None:
            log.warning("socket task failed", exc_info=task.exception())


class Refusal(AsyncWebsocketConsumer):
    """Accepts only to close with a code a client can act on."""

    code = Close.NOT_FOUND
    channel_layer_alias = "none"  # no such layer: nothing to receive, no Redis connection

    async def connect(self):
        await self.accept()
        await self.close(self.code)


class UnsupportedVersion(Refusal):
    code = Close.UNSUPPORTED_VERSION
