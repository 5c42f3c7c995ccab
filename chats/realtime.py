"""Pushes to live sockets, after commit. The store is the truth and the push is a hint: a socket
that misses a push gets the event again by resuming from its last seq.

Groups: `conv.<id>` holds the sockets of a conversation's members; `user.<id>` holds one user's
sockets, told when they join or leave a conversation so they subscribe or unsubscribe.
"""

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from chats.backends.types import Event
from chats.serializers import EventSerializer

log = logging.getLogger(__name__)


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


def _send(group, payload):
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group, payload)
    except Exception:
        # A failed push loses nothing: the event is in the store, and resume replays it.
        log.warning("push to %s failed", group, exc_info=True)


def push_after_commit(event):
    data = dict(EventSerializer(event).data)
    transaction.on_commit(
        lambda: _send(conversation_group(event.conversation_id), {"type": "chat.event", "event": data})
    )


def membership_changed_after_commit(user_id, conversation_id, joined):
    payload = {"type": "chat.membership", "conversation_id": str(conversation_id), "joined": joined}
    transaction.on_commit(lambda: _send(user_group(user_id), payload))


def push_receipt(conversation_id, user_id, seq):
    payload = {"type": "chat.receipt", "conversation_id": str(conversation_id), "user_id": user_id, "seq": seq}
    _send(conversation_group(conversation_id), payload)
