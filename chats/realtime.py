"""Pushes to live sockets, after commit, through the hub (chats.fanout) or the Channels layer
(settings.WS_FANOUT). The store is the truth and the push is a hint: a socket
that misses a push gets the event again from the store (chats.ws_feed, chats.consumers).

Groups: `conv.<id>` holds the sockets of a conversation's members; `user.<id>` holds one user's
sockets, told when the user joins or leaves a conversation or changes their blocks.
Messages (the `type` names the consumer's handler): chat.event, chat.receipt, chat.typing,
chat.presence, chat.membership, chat.blocks, chat.disconnect.
"""

import asyncio
import atexit
import contextlib
import logging
import os
import threading
import uuid

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.conf import settings
from django.db import transaction

from chats import fanout
from chats.backends.types import Event
from chats.serializers import EventSerializer

log = logging.getLogger(__name__)

PUSH_TIMEOUT = 5  # seconds one push may take before it is given up


def conversation_group(conversation_id):
    return f"conv.{conversation_id}"


def user_group(user_id):
    return f"user.{user_id}"


def created_event(message):
    return Event(
        conversation_id=message.conversation_id,
        seq=message.seq,
        type="message.created",
        actor_id=message.sender_id,
        created_at=message.created_at,
        message_id=message.id,
        message=message,
    )


class _Pusher:
    """One event loop thread per process that sends the pushes of sync code (request threads,
    Celery, commands) in the order they were made. async_to_sync outside an ASGI server would make
    a loop, and so a Redis connection, per push; and a writer never waits for Redis: while it is
    down, requests go on and their pushes are dropped (the store has the events)."""

    QUEUE_MAX = 10_000

    def __init__(self):
        self.loop = asyncio.new_event_loop()
        self.queue = None
        self.started = threading.Event()
        threading.Thread(target=self._run, name="chat-push", daemon=True).start()
        self.started.wait()
        atexit.register(self.drain)

    def _run(self):
        asyncio.set_event_loop(self.loop)
        self.queue = asyncio.Queue(self.QUEUE_MAX)
        self.loop.create_task(self._work())
        self.started.set()
        self.loop.run_forever()

    async def _work(self):
        while True:
            send, group, message = await self.queue.get()
            try:
                await asyncio.wait_for(send(group, message), PUSH_TIMEOUT)
            except Exception:
                # The event is in the store: a socket fills the gap at the next push or on resume.
                log.warning("push to %s failed", group, exc_info=True)
            finally:
                self.queue.task_done()

    def submit(self, send, group, message):
        """`send(group, message)`: the coroutine function that pushes, run on this thread's loop."""
        self.loop.call_soon_threadsafe(self._put, (send, group, message))

    def _put(self, item):
        try:
            self.queue.put_nowait(item)
        except asyncio.QueueFull:
            log.warning("push queue full (is Redis down?): dropped a push to %s", item[1])

    def drain(self, timeout=2):
        """Give queued pushes a moment to leave before the process exits (a command, a script)."""
        drained = asyncio.wait_for(self.queue.join(), timeout)
        with contextlib.suppress(Exception):  # exiting anyway; what is left is in the store
            asyncio.run_coroutine_threadsafe(drained, self.loop).result(timeout + 1)


_pusher = None
_pusher_lock = threading.Lock()


def _the_pusher():
    global _pusher
    with _pusher_lock:
        # A forked worker (Celery prefork) has no thread behind its parent's loop.
        if _pusher is None or _pusher[0] != os.getpid():
            _pusher = (os.getpid(), _Pusher())
        return _pusher[1]


def send_now(group, message):
    """Group send from sync code, without waiting for it. Never raises: a lost push costs only
    latency."""
    if settings.WS_FANOUT == "hub":
        if settings.REDIS_URL:
            _the_pusher().submit(fanout.publish, group, message)
        else:
            fanout.deliver_everywhere(group, message)
        return
    layer = get_channel_layer()
    if layer is None:
        return
    if isinstance(layer, InMemoryChannelLayer):
        # Its queues belong to the loop of this process's sockets; reach that loop.
        try:
            async_to_sync(layer.group_send)(group, message)
        except Exception:
            log.warning("push to %s failed", group, exc_info=True)
    else:
        _the_pusher().submit(layer.group_send, group, message)


def push_after_commit(event):
    data = dict(EventSerializer(event).data)
    group = conversation_group(event.conversation_id)
    transaction.on_commit(lambda: send_now(group, {"type": "chat.event", "event": data}))


def membership_changed_after_commit(user_id, conversation_id, joined, seq=None):
    """`seq` of a join is the seq of the user's member.joined event: their sockets replay from it."""
    payload = {"type": "chat.membership", "conversation_id": str(conversation_id), "joined": joined, "seq": seq}
    transaction.on_commit(lambda: send_now(user_group(user_id), payload))


def blocks_changed_after_commit(*user_ids):
    """Open sockets keep their user's block lists; make them reload after a block or unblock."""
    for user_id in user_ids:
        transaction.on_commit(lambda user_id=user_id: send_now(user_group(user_id), {"type": "chat.blocks"}))


def disconnect_user_after_commit(user_id, code):
    """Close every open socket of the user with `code`, once the change that revoked their access
    (a ban, "log out everywhere") is committed. A socket authenticates only when it opens, so the
    revoked credentials alone would leave the open ones running."""
    message = {"type": "chat.disconnect", "code": code}
    transaction.on_commit(lambda: send_now(user_group(user_id), message))


def push_receipt(conversation_id, user_id, seq):
    payload = {"type": "chat.receipt", "conversation_id": str(conversation_id), "user_id": user_id, "seq": seq}
    send_now(conversation_group(conversation_id), payload)


def presence_message(user_id, status):
    # A user's change reaches a socket once per shared conversation; the stamp lets it keep one.
    return {"type": "chat.presence", "user_id": user_id, "status": status, "stamp": uuid.uuid4().hex}


def typing_message(conversation_id, user_id, expires_in):
    return {
        "type": "chat.typing",
        "conversation_id": str(conversation_id),
        "user_id": user_id,
        "expires_in": expires_in,
    }
