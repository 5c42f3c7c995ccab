"""Domain events: how an action says that something happened.

`emit` writes an outbox row inside the caller's transaction. Side effects (graph sync,
notifications, analytics, ML feedback) never run on the request path: they run from the
outbox, through Kafka when KAFKA_BOOTSTRAP_SERVERS is set, or in-process after commit
(the embedded default).

Envelope: {id, type, version, occurred_at, actor, key, payload}. Types are "family.verb";
the family names the Kafka topic (`chat.<family>`).
"""

from django.db import transaction

from streaming import bus
from streaming.models import OutboxEvent

# type -> (schema version, what the payload holds)
EVENT_TYPES = {
    "user.registered": (1, "user_id, username"),
    "user.updated": (1, "user_id, changed fields"),
    "message.created": (1, "conversation_id, message_id, seq, sender_id, text, mentions"),
    "message.edited": (1, "conversation_id, message_id, seq, text"),
    "message.deleted": (1, "conversation_id, message_id, seq"),
    "reaction.added": (1, "conversation_id, message_id, seq, user_id, emoji"),
    "reaction.removed": (1, "conversation_id, message_id, seq, user_id, emoji"),
    "message.pinned": (1, "conversation_id, message_id, seq, pinned"),
    "member.joined": (1, "conversation_id, user_id, role"),
    "member.left": (1, "conversation_id, user_id, reason (left or kicked)"),
    "member.role_changed": (1, "conversation_id, user_id, role"),
    "conversation.created": (1, "conversation_id, kind, member_ids"),
    "conversation.updated": (1, "conversation_id, changed fields"),
    "graph.followed": (1, "follower_id, followee_id"),
    "graph.unfollowed": (1, "follower_id, followee_id"),
    "graph.friend_requested": (1, "from_id, to_id"),
    "graph.friend_accepted": (1, "user_ids"),
    "graph.unfriended": (1, "user_ids"),
    "graph.blocked": (1, "blocker_id, blocked_id"),
    "graph.unblocked": (1, "blocker_id, blocked_id"),
    "moderation.reported": (1, "report_id, conversation_id, message_id, reporter_id, reason"),
    "moderation.resolved": (1, "report_id, action, moderator_id"),
}


def family(event_type):
    return event_type.split(".", 1)[0]


def emit(event_type, *, key, payload, actor=None):
    """Record an event in the current transaction; it leaves after commit, never before."""
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {event_type!r}; declare it in streaming.events.EVENT_TYPES")
    version = EVENT_TYPES[event_type][0]
    actor_id = getattr(actor, "pk", actor)
    event = OutboxEvent.objects.create(
        type=event_type, version=version, key=str(key), actor_id=actor_id, payload=payload
    )
    transaction.on_commit(lambda: bus.after_commit(event))
    return event
