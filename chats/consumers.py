"""The real-time gateway: one WebSocket per client, carrying every conversation of its user.

The protocol is documented in chats.protocol. Writes go through chats.actions (the same
functions as REST), run in Django's sync thread; this module only routes frames and events.
Per conversation a Feed (chats.ws_feed) keeps delivery exactly-once and in seq order, reading the
store when a push was lost and when the client resumes. All frames to the client leave through
one queue, so the order in which they were decided is the order on the wire.
"""

import asyncio
import inspect
import json
import logging
import math
import time
import uuid
from collections import deque

import orjson
from asgiref.sync import sync_to_async
from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.layers import get_channel_layer
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Q

from chats import actions, fanout, presence, protocol, realtime, selectors, ws_auth, ws_health
from chats.backends import get_store
from chats.models import Membership
from chats.protocol import Close, FrameError
from chats.serializers import MessageSerializer
from chats.ws_feed import Feed
from chatsite.api_errors import ApiError
from graph.selectors import blocked_ids, blocker_ids

log = logging.getLogger(__name__)

PRESENCE_SNAPSHOT_MAX = 2000  # people whose status a new socket is told at once


class FrameBudget:
    """Token bucket per socket: WS_RATE_PER_SECOND frames, bursts of WS_RATE_BURST. A refused frame is
    a strike; WS_RATE_STRIKES strikes within WS_RATE_STRIKE_WINDOW seconds close the socket."""

    def __init__(self):
        self.tokens = float(settings.WS_RATE_BURST)
        self.at = time.monotonic()
        self.strikes = deque()

    def take(self):
        now = time.monotonic()
        self.tokens = min(settings.WS_RATE_BURST, self.tokens + (now - self.at) * settings.WS_RATE_PER_SECOND)
        self.at = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False

    def strike(self):
        """Count a violation -> True when the socket should be closed."""
        now = time.monotonic()
        self.strikes.append(now)
        while self.strikes and now - self.strikes[0] > settings.WS_RATE_STRIKE_WINDOW:
            self.strikes.popleft()
        return len(self.strikes) >= settings.WS_RATE_STRIKES

    def retry_after(self):
        return max(1, math.ceil((1 - self.tokens) / settings.WS_RATE_PER_SECOND))


def _bootstrap(user):
    """What a new socket needs: its conversations, block lists, and the people it shares them with.
    None when the account was disabled after the socket authenticated: read after the socket
    joined its user group, so a ban either shows here or reaches the socket as chat.disconnect."""
    if not get_user_model().objects.filter(pk=user.pk, is_active=True).exists():
        return None
    conversations = [str(c) for c in Membership.objects.filter(user=user).values_list("conversation_id", flat=True)]
    co_members = (
        Membership.objects.filter(Q(conversation__memberships__user=user) & ~Q(user=user))
        .values_list("user_id", flat=True)
        .distinct()[:PRESENCE_SNAPSHOT_MAX]
    )
    return conversations, _blocks(user), list(co_members)


def _blocks(user):
    return blocked_ids(user.pk), blocker_ids(user.pk)


async def _end(task):
    while not task.done():
        task.cancel()
        await asyncio.wait({task}, timeout=0.05)
    if not task.cancelled():
        task.exception()  # seen, so asyncio does not log it as never retrieved


async def _replay_page(user, conversation_id, after, limit, check_bound, hidden):
    """(events as frames, None) or (None, (seq, reason)) when the socket cannot replay."""
    if check_bound:
        latest = await get_store().alatest_seq(conversation_id)
        if after > latest:
            return None, (latest, "ahead")
        if latest - after > settings.WS_REPLAY_BOUND:
            return None, (latest, "too_far_behind")
    events = await selectors.aevents_after(user, conversation_id, after, limit, hidden)
    return [protocol.event(e) for e in events], None


def _database_threads():
    """How ORM work and actions leave the event loop. On PostgreSQL (or any server database) in a
    pool of threads, each with a pooled connection: while one send waits on the database, the
    next one runs, instead of queueing behind it in Django's one sync thread. SQLite allows one
    writer at a time, so there it keeps to that thread."""
    if connection.vendor == "sqlite":
        return database_sync_to_async
    return lambda func: database_sync_to_async(func, thread_sensitive=False)


_in_thread = _database_threads()
_off_loop = sync_to_async(thread_sensitive=False)  # presence: Redis calls, no ORM


def _encoder():
    if settings.WS_FANOUT == "tutorial":
        return lambda frame: json.dumps(frame, separators=(",", ":"))
    return lambda frame: orjson.dumps(frame).decode()


class ChatConsumer(AsyncWebsocketConsumer):
    async def __call__(self, scope, receive, send):
        # AsyncConsumer.__call__ with three changes. With the hub (chats.fanout) a socket has no
        # channel at all: group messages arrive through hub_message. The layer's receive is
        # guarded: when Redis goes away the socket closes with a code instead of dying. And
        # receive tasks are ended for sure: under Python 3.11, redis-py may swallow a cancellation
        # that lands while it (re)connects, and the layer receive would live on for a socket that
        # is gone.
        self.scope = scope
        self.base_send = send
        self.hub = fanout.hub() if settings.WS_FANOUT == "hub" else None
        self.encode = _encoder()
        sources = [receive]
        if self.hub is None:
            self.channel_layer = get_channel_layer(self.channel_layer_alias)
            self.channel_name = await self.channel_layer.new_channel()
            sources.append(self._receive_from_layer)
        tasks = [asyncio.ensure_future(source()) for source in sources]
        try:
            while True:
                await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
                for i, task in enumerate(tasks):
                    if task.done():
                        message = task.result()
                        await self.dispatch(message)
                        tasks[i] = asyncio.ensure_future(sources[i]())
        except StopConsumer:
            pass
        finally:
            for task in tasks:
                await _end(task)

    async def _receive_from_layer(self):
        try:
            return await self.channel_layer.receive(self.channel_name)
        except Exception as exc:
            if self.closing:  # the disconnect cancelled it; redis-py may report that as an error
                raise asyncio.CancelledError from None
            # The layer's Redis went away. Close (the client resumes) instead of dying with 1011.
            await ws_health.watch().lost(f"layer receive failed: {exc.__class__.__name__}")
            await self.layer_lost()
            await asyncio.Event().wait()  # until the disconnect ends this consumer

    async def dispatch(self, message):
        # Like AsyncConsumer.dispatch without closing old DB connections on every event: the
        # handlers that use the database do it through database_sync_to_async. Handlers of group
        # messages that need no I/O are plain functions, so that the hub can call them directly.
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:  # a message of a newer server version, during a rolling deploy
            log.warning("no handler for %s", message["type"])
            return
        result = handler(message)
        if inspect.isawaitable(result):
            await result

    def hub_message(self, message):
        """A group message from the hub, on this socket's loop. Handled at once when its handler
        needs no I/O; behind a handler that does (a block list reload), later messages wait, so
        that each is handled in the state the ones before it left."""
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

    async def _hub_drain(self, pending):
        try:
            while True:
                try:
                    await pending
                except Exception:
                    log.warning("a group message handler failed", exc_info=True)
                if not self.hub_backlog:
                    return
                pending = self.dispatch(self.hub_backlog.popleft())
        finally:
            self.hub_backlog = None

    # --- groups: the hub's, or the Channels layer's ---

    async def _join(self, group):
        if self.hub is not None:
            await self.hub.join(group, self)
        else:
            await self.channel_layer.group_add(group, self.channel_name)

    async def _part(self, group):
        if self.hub is not None:
            await self.hub.leave(group, self)
        else:
            await self.channel_layer.group_discard(group, self.channel_name)

    async def _publish(self, group, message):
        if self.hub is not None:
            await fanout.publish(group, message)
        else:
            await self.channel_layer.group_send(group, message)

    # --- connect, authenticate, disconnect ---

    async def websocket_connect(self, message):
        self.user = None
        self.connection_id = uuid.uuid4().hex
        self.feeds = {}  # conversation id (str) -> Feed
        self.subscribed = set()  # conversation ids whose group this socket is in
        self.groups_lock = asyncio.Lock()
        self.blocked, self.blockers = set(), set()
        self.held = False
        self.presence_stamps = {}
        self.fill_queue = deque()
        self.fill_task = None
        self.hub_backlog = None  # group messages waiting behind a handler that does I/O
        self.tasks = set()
        self.closing = False
        self.budget = FrameBudget()
        self.outbox = asyncio.Queue()
        self.writer = asyncio.ensure_future(self._write())

        origin = ws_auth.check_origin(self.scope)
        subprotocol, token, version_ok = ws_auth.subprotocol_offer(self.scope)
        # Accept first, even to refuse: only an accepted socket can carry a close code.
        await self.accept(subprotocol)
        if origin == ws_auth.REFUSED:
            return self._close(Close.FORBIDDEN_ORIGIN)
        if not version_ok:
            return self._close(Close.UNSUPPORTED_VERSION)
        if token is not None:
            user = await _in_thread(ws_auth.user_for_token)(token)
            if user is None:
                return self._close(Close.UNAUTHENTICATED)
            return await self._start(user)
        user = self.scope.get("user")
        # A cookie counts only with an allowed Origin: without one, any page could have opened it.
        if origin == ws_auth.ALLOWED and user is not None and user.is_authenticated:
            return await self._start(user)
        self._spawn(self._auth_deadline())

    async def _auth_deadline(self):
        await asyncio.sleep(settings.WS_AUTH_TIMEOUT)
        if self.user is None:
            self._close(Close.AUTH_TIMEOUT)

    async def _start(self, user, request_id=None):
        self.user = user
        try:
            await ws_health.watch().join(self)
            await self._join(realtime.user_group(user.pk))
            start = await _in_thread(_bootstrap)(user)
            if start is None:
                return self._close(Close.ACCOUNT_DISABLED)
            conversations, (self.blocked, self.blockers), co_members = start
            self.held = True
            self.feeds = {cid: Feed(held=True) for cid in conversations}
            await self._sync_groups()
            change = await _off_loop(presence.connect)(user.pk, self.connection_id)
            statuses = await _off_loop(presence.statuses)(co_members)
        except Exception:
            log.warning("socket of user %s could not start", user.pk, exc_info=True)
            return self._close(Close.SERVER_INTERRUPTED)
        self._emit(
            protocol.hello(
                user_id=user.pk,
                connection=self.connection_id,
                conversations=conversations,
                heartbeat=settings.PRESENCE_HEARTBEAT,
                resume_grace=settings.WS_RESUME_GRACE,
                limits={
                    "max_frame_bytes": settings.WS_MAX_FRAME_BYTES,
                    "frames_per_second": settings.WS_RATE_PER_SECOND,
                    "burst": settings.WS_RATE_BURST,
                    "replay_bound": settings.WS_REPLAY_BOUND,
                },
                request_id=request_id,
            )
        )
        self._emit(protocol.presence({u: s for u, s in statuses.items() if not self._muted(u)}))
        if change:
            self._spawn(self._announce(change))
        self._spawn(self._heartbeat())
        self._spawn(self._grace())

    async def websocket_disconnect(self, message):
        self.closing = True
        ws_health.watch().leave(self)
        for task in [*self.tasks, self.fill_task, self.writer]:
            if task is not None:
                task.cancel()
        if self.user is not None:
            await self._leave()
        raise StopConsumer()

    async def _leave(self):
        try:
            for cid in self.subscribed:
                await self._part(realtime.conversation_group(cid))
            await self._part(realtime.user_group(self.user.pk))
            change = await _off_loop(presence.disconnect)(self.user.pk, self.connection_id)
            if change:
                await self._announce(change)
        except Exception:
            # Redis is down: its groups expire, and the presence entry lapses without heartbeats.
            log.info("cleanup of a closed socket failed", exc_info=True)

    async def layer_lost(self):
        self._close(Close.SERVER_INTERRUPTED)

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
            await self._answer(kind, request_id, data)
        finally:
            if self.held:
                self._release_held()

    def _decode(self, text):
        """(JSON value, None) or (None, error frame)."""
        if text is None:
            return None, protocol.error(None, "binary_unsupported", "Frames are JSON text.")
        limit = settings.WS_MAX_FRAME_BYTES
        if len(text) > limit or len(text.encode()) > limit:
            if self.budget.strike():  # big frames cost memory: repeated, they close like a flood
                self._close(Close.RATE_LIMITED)
            return None, protocol.error(None, "too_large", f"A frame is at most {limit} bytes.")
        try:
            return json.loads(text), None
        except (ValueError, RecursionError):
            return None, protocol.error(None, "invalid_json", "The frame is not JSON.")

    async def _authenticate(self, raw):
        """Before authentication only a valid auth frame is answered; anything else closes."""
        try:
            kind, request_id, data = protocol.parse(raw)
        except FrameError:
            kind = None
        user = await _in_thread(ws_auth.user_for_token)(data["token"]) if kind == "auth" else None
        if user is None:
            return self._close(Close.UNAUTHENTICATED)
        await self._start(user, request_id)

    async def _answer(self, kind, request_id, data):
        try:
            result = await getattr(self, f"_do_{kind}")(**data)
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

    async def _do_auth(self, token):
        raise ApiError("already_authenticated", "This socket is already authenticated.", 400)

    async def _do_ping(self):
        return None

    async def _do_resume(self, conversations):
        answer = {}
        for conversation_id, seq in conversations.items():
            cid = str(conversation_id)
            feed = self.feeds.get(cid)
            if feed is None:
                answer[cid] = "not_member"
                continue
            self._after_release(cid, feed.release(resume_after=seq))
            answer[cid] = "replay"
        return {"conversations": answer}

    async def _do_send(self, conversation_id, client_id, text, parent_id):
        message, created = await _in_thread(actions.do_send_message)(
            self.user, conversation_id, text=text, client_id=client_id, parent_id=parent_id
        )
        return {"message": MessageSerializer(message).data, "created": created}

    async def _do_edit(self, conversation_id, message_id, text):
        message = await _in_thread(actions.do_edit_message)(self.user, conversation_id, message_id, text)
        return {"message": MessageSerializer(message).data}

    async def _do_delete(self, conversation_id, message_id):
        message = await _in_thread(actions.do_delete_message)(self.user, conversation_id, message_id)
        return {"message": MessageSerializer(message).data}

    async def _do_react(self, conversation_id, message_id, emoji, add=True):
        message = await _in_thread(actions.do_react)(self.user, conversation_id, message_id, emoji, add=add)
        return {"message": MessageSerializer(message).data}

    async def _do_unreact(self, conversation_id, message_id, emoji):
        return await self._do_react(conversation_id, message_id, emoji, add=False)

    async def _do_read(self, conversation_id, seq):
        return {"last_read_seq": await _in_thread(actions.do_mark_read)(self.user, conversation_id, seq)}

    async def _do_typing(self, conversation_id):
        cid = str(conversation_id)
        if cid not in self.feeds:
            raise actions.forbidden("Join this conversation first.", "not_member")
        sent = await _off_loop(presence.typing_allowed)(cid, self.user.pk)
        if sent:
            message = realtime.typing_message(cid, self.user.pk, settings.TYPING_EXPIRES)
            await self._publish(realtime.conversation_group(cid), message)
        return {"expires_in": settings.TYPING_EXPIRES, "sent": sent}

    async def _do_presence(self, status):
        change = await _off_loop(presence.set_status)(self.user.pk, self.connection_id, status)
        if change:
            self._spawn(self._announce(change))
        return {"status": status}

    # --- events from the channel layer ---

    def chat_event(self, message):
        frame = message["event"]
        cid = frame["conversation_id"]
        feed = self.feeds.get(cid)
        if feed is not None:
            frames, fill = feed.live(frame)
            self._deliver(cid, frames)
            if fill:
                self._want_fill(cid)

    async def chat_membership(self, message):
        cid = message["conversation_id"]
        if not message["joined"]:
            self._forget(cid)
            return
        if cid in self.feeds:
            return
        feed = self.feeds[cid] = Feed(held=True)
        try:
            await self._sync_groups()  # subscribed before the store is read: nothing falls between
        except Exception:
            log.warning("subscribing to %s failed", cid, exc_info=True)
            return self._close(Close.SERVER_INTERRUPTED)
        seq = message.get("seq")
        self._after_release(cid, feed.release(resume_after=seq - 1 if seq else None))

    def chat_receipt(self, message):
        if message["conversation_id"] in self.feeds and not self._muted(message["user_id"]):
            self._emit(protocol.receipt(message["conversation_id"], message["user_id"], message["seq"]))

    def chat_typing(self, message):
        user_id = message["user_id"]
        if message["conversation_id"] in self.feeds and user_id != self.user.pk and not self._muted(user_id):
            self._emit(protocol.typing(message["conversation_id"], user_id, message["expires_in"]))

    def chat_presence(self, message):
        user_id = message["user_id"]
        if user_id == self.user.pk or self._muted(user_id) or self.presence_stamps.get(user_id) == message["stamp"]:
            return
        if len(self.presence_stamps) > 10 * PRESENCE_SNAPSHOT_MAX:
            self.presence_stamps.clear()
        self.presence_stamps[user_id] = message["stamp"]
        self._emit(protocol.presence({user_id: message["status"]}))

    async def chat_blocks(self, message):
        self.blocked, self.blockers = await _in_thread(_blocks)(self.user)

    async def chat_disconnect(self, message):
        # The user's access was revoked (chats.realtime.disconnect_user_after_commit).
        self._close(message["code"])

    # --- delivery ---

    def _muted(self, user_id):
        """Ephemeral signals (typing, presence, receipts) never cross a block, either way."""
        return user_id in self.blocked or user_id in self.blockers

    def _deliver(self, cid, frames):
        for frame in frames:
            sent = frame.get("message")
            if sent and sent.get("sender_id") in self.blocked:
                frame = protocol.hidden(frame)
            self._emit(frame)
            if frame["type"] == "member.left" and frame["data"].get("user_id") == self.user.pk:
                self._forget(cid)  # nothing after one's own departure
                return

    def _after_release(self, cid, released):
        frames, fill = released
        self._deliver(cid, frames)
        if fill:
            self._want_fill(cid)

    def _release_held(self):
        self.held = False
        for cid, feed in list(self.feeds.items()):
            if feed.held:
                self._after_release(cid, feed.release())

    async def _grace(self):
        await asyncio.sleep(settings.WS_RESUME_GRACE)
        if self.held:
            self._release_held()

    def _forget(self, cid):
        if self.feeds.pop(cid, None) is not None:
            self._spawn(self._sync_groups())

    async def _sync_groups(self):
        """Make the socket's conversation groups match its feeds. Serialized, so that a leave and a
        rejoin in quick succession end in the right state whatever order their calls run in."""
        async with self.groups_lock:
            wanted = set(self.feeds)
            add, drop = wanted - self.subscribed, self.subscribed - wanted
            await asyncio.gather(*(self._join(realtime.conversation_group(c)) for c in add))
            self.subscribed |= add
            await asyncio.gather(*(self._part(realtime.conversation_group(c)) for c in drop))
            self.subscribed -= drop

    # --- filling gaps from the store ---

    def _want_fill(self, cid):
        if cid not in self.fill_queue:
            self.fill_queue.append(cid)
        if self.fill_task is None or self.fill_task.done():
            self.fill_task = asyncio.ensure_future(self._fill_all())

    async def _fill_all(self):
        # One conversation at a time: the replays of a socket queue for the same DB thread anyway,
        # and live events of the others keep flowing meanwhile.
        while self.fill_queue and not self.closing:
            cid = self.fill_queue.popleft()
            try:
                await self._fill(cid)
            except ApiError:
                self._forget(cid)  # no longer readable: the user left it
            except Exception:
                log.warning("replay of %s failed", cid, exc_info=True)
                return self._close(Close.SERVER_INTERRUPTED)

    async def _fill(self, cid):
        feed, first, page = self.feeds.get(cid), True, settings.WS_REPLAY_PAGE
        while feed is not None and self.feeds.get(cid) is feed:
            after = feed.last
            frames, resync = await _replay_page(self.user, cid, after, page, first, self.blocked)
            if self.feeds.get(cid) is not feed or self.closing:
                return
            if feed.last != after:
                first = True  # a resume moved the cursor while this page was read
                continue
            first = False
            if resync:
                self._emit(protocol.resync(cid, *resync))
                feed.skip_to(resync[0])
            else:
                self._deliver(cid, feed.from_store(frames))
                if len(frames) == page:
                    continue
            if self.feeds.get(cid) is not feed:
                return
            frames, again = feed.caught_up()
            self._deliver(cid, frames)
            if not again:
                return

    # --- presence ---

    async def _heartbeat(self):
        while True:
            await asyncio.sleep(settings.PRESENCE_HEARTBEAT)
            try:
                change = await _off_loop(presence.heartbeat)(self.user.pk, self.connection_id)
            except Exception:
                log.info("presence heartbeat failed", exc_info=True)
                continue
            if change:
                await self._announce(change)

    async def _announce(self, status):
        message = realtime.presence_message(self.user.pk, status)
        groups = [realtime.conversation_group(cid) for cid in self.feeds]
        results = await asyncio.gather(*(self._publish(g, message) for g in groups), return_exceptions=True)
        if any(isinstance(r, Exception) for r in results):
            log.info("presence of user %s not announced everywhere", self.user.pk)

    # --- the way out ---

    def _emit(self, frame):
        if self.closing:
            return
        self.outbox.put_nowait(frame)
        if self.outbox.qsize() > settings.WS_SEND_QUEUE_MAX:
            # The client does not read: rather than hold its frames without bound, let it resume.
            while not self.outbox.empty():
                self.outbox.get_nowait()
            self._close(Close.TOO_SLOW)

    def _close(self, code):
        if not self.closing:
            self.outbox.put_nowait(code)  # after the frames already decided
            self.closing = True

    async def _write(self):
        try:
            while True:
                item = await self.outbox.get()
                if isinstance(item, int):
                    await self.close(item)
                    return
                text = item.text() if isinstance(item, fanout.SharedFrame) else self.encode(item)
                await self.send(text_data=text)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.info("socket write failed", exc_info=True)

    def _spawn(self, coroutine):
        task = asyncio.ensure_future(coroutine)
        self.tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task):
        self.tasks.discard(task)
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
