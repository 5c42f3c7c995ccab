"""The gateway's port: how the domain reaches live sockets. Everything here is a hint, sent after
the change it describes is committed; the store is the truth, and a socket that misses a push
gets the event again from the store (gateway.socket.feed).

Groups: `conv.<id>` holds the sockets of a conversation's members; `user.<id>` holds one user's
sockets, told when the user joins or leaves a conversation, changes their blocks, or loses access.
Messages (the `type` names the socket's handler): chat.event, chat.receipt, chat.typing,
chat.presence_changes, chat.profile, chat.membership, chat.blocks, chat.disconnect.

The transport behind the port is the adapter that GATEWAY_FANOUT names (a module with the
functions of gateway.fanout.hub: `hub()`, `publish`, `send_now`); the hub is the only one in
production, the benchmark plugs in its naive baseline.
"""

import uuid
from functools import cache
from importlib import import_module

from django.conf import settings
from django.db import transaction


@cache
def _adapter(path):
    return import_module(path)


def adapter():
    """The transport module: `hub()` (the registry of this event loop's sockets, with async
    `join(group, socket)` and `leave(group, socket)`), async `publish(group, message)` and
    `send_now(group, message)` (from sync code, never raises)."""
    return _adapter(settings.GATEWAY_FANOUT)


def conversation_group(conversation_id):
    return f"conv.{conversation_id}"


def user_group(user_id):
    return f"user.{user_id}"


def send_now(group, message):
    """Group send from sync code, without waiting for it. Never raises: a lost push costs only
    latency."""
    adapter().send_now(group, message)


async def publish(group, message):
    """Group send from async code (a socket announcing presence or typing)."""
    await adapter().publish(group, message)


def publish_after_commit(group, message):
    transaction.on_commit(lambda: send_now(group, message))


def push_event_after_commit(conversation_id, frame):
    """A conversation event, already in its wire shape, to the conversation's sockets."""
    publish_after_commit(conversation_group(conversation_id), {"type": "chat.event", "event": frame})


def membership_changed_after_commit(user_id, conversation_id, joined, seq=None):
    """`seq` of a join is the seq of the user's member.joined event: their sockets replay from it."""
    payload = {"type": "chat.membership", "conversation_id": str(conversation_id), "joined": joined, "seq": seq}
    publish_after_commit(user_group(user_id), payload)


def blocks_changed_after_commit(*user_ids):
    """Open sockets keep their user's block lists; make them reload after a block or unblock."""
    for user_id in user_ids:
        publish_after_commit(user_group(user_id), {"type": "chat.blocks"})


def disconnect_user_after_commit(user_id, code, *, only=None, keep=None):
    """Close open sockets of the user with `code`, once the change that revoked their access (a
    ban, a logout, a password change) is committed. A socket authenticates only when it opens, so
    the revoked credentials alone would leave the open ones running.

    `only` closes just the sockets opened with that credential, `keep` every socket but those:
    a credential is `credential_of_token(token_key)` or `credential_of_session(session_key)`."""
    message = {"type": "chat.disconnect", "code": code, "only": only, "keep": keep}
    publish_after_commit(user_group(user_id), message)


def credential_of_token(token_key):
    """What a socket that authenticated with a knox token remembers of it: the token's key (its
    first characters, stored in clear by knox), never the token."""
    return f"token:{token_key}"


def credential_of_session(session_key):
    return f"session:{session_key}"


def push_receipt(conversation_id, user_id, seq):
    payload = {"type": "chat.receipt", "conversation_id": str(conversation_id), "user_id": user_id, "seq": seq}
    send_now(conversation_group(conversation_id), payload)


def presence_change(user_id, status):
    """One change of a user's status, as group messages carry it: [user id, status, stamp]. The
    change reaches a socket once per conversation it shares with the user; the stamp lets it keep
    one. A change keeps its stamp in every group it is told to."""
    return [user_id, status, uuid.uuid4().hex]


def presence_message(changes):
    """Several people's changes in one group message: a storm of connects (a deploy, a network
    back) costs one publish, and one handler call on each member socket, per batch."""
    return {"type": "chat.presence_changes", "changes": changes}


def announce_presence(statuses, conversations):
    """Tell the conversations of each user in `statuses` ({user id: status}) of their change, one
    message per conversation (from sync code: the sweep job). `conversations`: {user id: [ids]}."""
    by_group = {}
    for user_id, status in statuses.items():
        change = presence_change(user_id, status)
        for conversation_id in conversations.get(user_id, ()):
            by_group.setdefault(conversation_group(conversation_id), []).append(change)
    for group, changes in by_group.items():
        send_now(group, presence_message(changes))


def announce_profile(user_id, conversation_ids):
    """Tell the user's conversations, and the user's own other sockets, that their profile changed
    (from sync code, after the commit of the change)."""
    # A socket hears it once per shared conversation; the stamp lets it tell the user once.
    message = {"type": "chat.profile", "user_id": user_id, "stamp": uuid.uuid4().hex}
    for group in [user_group(user_id), *(conversation_group(cid) for cid in conversation_ids)]:
        send_now(group, message)


def typing_message(conversation_id, user_id, expires_in):
    return {
        "type": "chat.typing",
        "conversation_id": str(conversation_id),
        "user_id": user_id,
        "expires_in": expires_in,
    }
