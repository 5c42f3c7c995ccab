"""Domain events: how an action says that something happened. This docstring is the reference.

`emit` writes an outbox row inside the caller's transaction. Side effects (graph sync,
notifications, analytics, ML feedback) never run on the request path: they run from the
outbox, through Kafka when KAFKA_BOOTSTRAP_SERVERS is set, or in-process after commit
(the embedded default).

Envelope (JSON; the Kafka record value)
---------------------------------------
    {"id": "<uuid>",            unique per event; consumers dedupe by it
     "type": "family.verb",     one of the types below
     "version": 1,              the payload's schema version for this type
     "occurred_at": "<iso8601>",
     "actor": <user id or null>, who did it (null: the system)
     "key": "<str>",            the partition key: conversation id, or user id for user/graph events
     "payload": {...}}

Kafka record: topic from `TOPICS` (one per family, with KAFKA_TOPIC_PREFIX in front), key = the
envelope's key, so events of one conversation (or one user) keep their order within a family;
headers `event-id`, `event-type`, `event-version`. Delivery is at least once.

A version changes when a payload field is removed or changes meaning; adding a field does not.
Conversation and message ids are UUID strings, user ids are integers.

Types and payloads (key in brackets)
------------------------------------
user.registered (1) [user id]
    user_id, username
user.updated (1) [user id]
    user_id, changed: {field: new value} (profile fields only)
user.deactivated (1) [user id]
    user_id, reason, moderator_id: the account is disabled (moderation.actions)
user.reactivated (1) [user id]
    user_id, reason, moderator_id: a deactivated account is enabled again
user.banned (1) [user id]
    user_id, reason, moderator_id: the account is disabled as a sanction; its tokens and sessions
    are revoked and its open sockets closed
user.unbanned (1) [user id]
    user_id, reason, moderator_id: login works again (the old tokens stay revoked)
user.two_factor_changed (1) [user id]
    user_id, enabled: the user turned two-factor sign-in on or off (accounts.two_factor)
user.two_factor_reset (1) [user id]
    user_id, reason, moderator_id: an admin removed the user's second factor (the recovery path);
    every login of the user was ended

message.created (1) [conversation id]
    conversation_id, message_id, seq, sender_id, text, parent_id (or null), mentions (user ids),
    mention_all, attachments (the files' metadata as on the message; a field added within version 1),
    thread_root_id (the thread root it replies in, or null; added within version 1)
message.edited (1) [conversation id]
    the same fields as message.created, with the new text (seq stays the message's own seq)
message.deleted (1) [conversation id]
    conversation_id, message_id, seq (the deletion's seq)
message.pinned (1) [conversation id]
    conversation_id, message_id, seq, pinned (true: pinned, false: unpinned)
message.previewed (1) [conversation id]
    conversation_id, message_id, seq, previews (the message's link previews as they are now:
    title, description, site_name, url, image; an empty list when its author removed them)
reaction.added, reaction.removed (1) [conversation id]
    the message.created fields of the message as it is after the change, then seq (the
    reaction event's seq), user_id (who reacted), emoji

member.joined (1) [conversation id]
    conversation_id, user_id, role (owner, admin or member), kind (direct, group or channel)
member.left (1) [conversation id]
    conversation_id, user_id, role (null), kind, reason (left or kicked)
member.role_changed (1) [conversation id]
    conversation_id, user_id, role, kind

conversation.created (1) [conversation id]
    conversation_id, kind, member_ids (sorted)
conversation.updated (1) [conversation id]
    conversation_id, then each changed field with its new value (title, topic, archived_at)
conversation.read (1) [conversation id]
    conversation_id, user_id, seq: the user's read marker moved forward to seq (any device)

graph.followed, graph.unfollowed (1) [follower id]
    follower_id, followee_id
graph.friend_requested (1) [from id]
    from_id, to_id
graph.friend_request_closed (1) [from id]
    from_id, to_id, reason (declined, cancelled, or blocked: a block dropped the pending request)
graph.friend_accepted, graph.unfriended (1) [the lower user id]
    user_ids (the two, sorted)
graph.blocked, graph.unblocked (1) [blocker id]
    blocker_id, blocked_id

moderation.reported (1) [conversation id]
    report_id, conversation_id, message_id, reporter_id, reason
moderation.resolved (1) [conversation id]
    report_id, conversation_id, message_id, action (dismissed or actioned), moderator_id, reason
moderation.held (1) [conversation id]
    held_id, conversation_id, sender_id, kind (spam or abuse: the model that held it), scores
    ({spam, abuse}): a send was held for review (chats.actions.held), once per held send
moderation.held_approved, moderation.held_rejected (1) [conversation id]
    message_id (the message it became; for a rejection, the hold's id), conversation_id, kind (spam
    or abuse: the model that held it), text, moderator_id, reason

notification.delivered, notification.failed (1) [user id]
    notification_id, user_id, channel, device_kind, outcome (ok; or retry, gone, error), status_code:
    one delivery attempt and how it went (notifications.delivery)

presence.sampled (1) [presence]
    sockets, users: the open sockets and the users who have one, counted by each presence sweep
"""

import logging
import threading
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from streaming import bus
from streaming.models import OutboxEvent

log = logging.getLogger(__name__)

# type -> (schema version, what the payload holds; the docstring above has the details)
EVENT_TYPES = {
    "user.registered": (1, "user_id, username"),
    "user.updated": (1, "user_id, changed"),
    "user.deactivated": (1, "user_id, reason, moderator_id"),
    "user.reactivated": (1, "user_id, reason, moderator_id"),
    "user.banned": (1, "user_id, reason, moderator_id"),
    "user.unbanned": (1, "user_id, reason, moderator_id"),
    "user.two_factor_changed": (1, "user_id, enabled"),
    "user.two_factor_reset": (1, "user_id, reason, moderator_id"),
    "message.created": (
        1,
        "conversation_id, message_id, seq, sender_id, text, parent_id, mentions, mention_all, attachments, "
        "thread_root_id",
    ),
    "message.edited": (1, "as message.created, with the new text"),
    "message.deleted": (1, "conversation_id, message_id, seq"),
    "message.pinned": (1, "conversation_id, message_id, seq, pinned"),
    "message.previewed": (1, "conversation_id, message_id, seq, previews"),
    "reaction.added": (1, "message fields, seq, user_id, emoji"),
    "reaction.removed": (1, "message fields, seq, user_id, emoji"),
    "member.joined": (1, "conversation_id, user_id, role, kind"),
    "member.left": (1, "conversation_id, user_id, role, kind, reason (left or kicked)"),
    "member.role_changed": (1, "conversation_id, user_id, role, kind"),
    "conversation.created": (1, "conversation_id, kind, member_ids"),
    "conversation.updated": (1, "conversation_id, changed fields"),
    "conversation.read": (1, "conversation_id, user_id, seq"),
    "graph.followed": (1, "follower_id, followee_id"),
    "graph.unfollowed": (1, "follower_id, followee_id"),
    "graph.friend_requested": (1, "from_id, to_id"),
    "graph.friend_accepted": (1, "user_ids"),
    "graph.friend_request_closed": (1, "from_id, to_id, reason (declined, cancelled or blocked)"),
    "graph.unfriended": (1, "user_ids"),
    "graph.blocked": (1, "blocker_id, blocked_id"),
    "graph.unblocked": (1, "blocker_id, blocked_id"),
    "moderation.reported": (1, "report_id, conversation_id, message_id, reporter_id, reason"),
    "moderation.resolved": (1, "report_id, conversation_id, message_id, action, moderator_id, reason"),
    "moderation.held": (1, "held_id, conversation_id, sender_id, kind, scores"),
    "moderation.held_approved": (1, "message_id, conversation_id, kind, text, moderator_id, reason"),
    "moderation.held_rejected": (1, "message_id (the hold's id), conversation_id, kind, text, moderator_id, reason"),
    "notification.delivered": (1, "notification_id, user_id, channel, device_kind, outcome, status_code"),
    "notification.failed": (1, "notification_id, user_id, channel, device_kind, outcome, status_code"),
    "presence.sampled": (1, "sockets, users"),
}

# family -> Kafka topic (KAFKA_TOPIC_PREFIX goes in front). The one place that maps events to topics.
TOPICS = {
    "user": "chat.user",
    "message": "chat.message",
    "reaction": "chat.reaction",
    "member": "chat.member",
    "conversation": "chat.conversation",
    "graph": "chat.graph",
    "moderation": "chat.moderation",
    "notification": "chat.notification",
    "presence": "chat.presence",
    # Where a row whose family is no longer declared goes, rather than stalling the relay.
    "other": "chat.other",
}

DEAD_LETTER_SUFFIX = ".dlq"

# PostgreSQL channel that wakes the relay as soon as a transaction with events commits.
NOTIFY_CHANNEL = "chatsite_outbox"


def family(event_type):
    return event_type.split(".", 1)[0]


def topic_for(event_type):
    return settings.KAFKA_TOPIC_PREFIX + TOPICS.get(family(event_type), TOPICS["other"])


def all_topics():
    return [settings.KAFKA_TOPIC_PREFIX + topic for topic in TOPICS.values()]


def handled_topics(modules=None):
    """The topics holding the events that the handlers (of `modules`, or all) are registered for:
    what a consumer group running those handlers subscribes to, and nothing it would only skip."""
    return sorted({topic_for(event_type) for event_type in bus.handled_types(modules)})


def resolve_topics(names):
    """Topics from command-line names: a family ("message"), a base topic ("chat.message") or a full one."""
    topics = []
    for name in names:
        if name in TOPICS:
            topics.append(settings.KAFKA_TOPIC_PREFIX + TOPICS[name])
        elif name in TOPICS.values():
            topics.append(settings.KAFKA_TOPIC_PREFIX + name)
        else:
            topics.append(name)
    return topics


_last_stamp = threading.local()


def _occurred_now():
    """Now, but strictly after the previous event of this thread: the relay orders rows by it,
    and two events emitted in the same microsecond must keep their order."""
    now = timezone.now()
    last = getattr(_last_stamp, "value", None)
    if last is not None and now <= last:
        now = last + timedelta(microseconds=1)
    _last_stamp.value = now
    return now


# Wakes a relay that waits on LISTEN. Sent after the commit, in a statement of its own with
# asynchronous commit, and not inside the writing transaction: a NOTIFY there takes a lock on the
# whole database's notification queue at commit and holds it through the commit's WAL flush, so
# all writers that notify commit one at a time (16 writers on distinct rows, on PostgreSQL 16
# here: about 2,000 commits/s without NOTIFY, 280-490/s with it inside, 1,600-1,700/s with it
# after). A wake-up lost in a crash costs latency only: the relay also polls.
_WAKE = f"SELECT set_config('synchronous_commit', 'off', true), pg_notify('{NOTIFY_CHANNEL}', '')"  # nosec B608 - a constant


def _wake_relay():
    try:
        with connection.cursor() as cursor:
            cursor.execute(_WAKE)
    except Exception:  # the events are committed; the relay's poll finds them
        log.warning("could not wake the outbox relay", exc_info=True)


def wake_relay_after_commit():
    """One wake-up per transaction, however many events it emits."""
    if not any(entry[1] is _wake_relay for entry in connection.run_on_commit):
        transaction.on_commit(_wake_relay)


_gathering = threading.local()  # .rows: the events emit() holds back for gathered() to write


@contextmanager
def gathered():
    """Inside a transaction: the events emitted within are written together, in one INSERT in
    their order, when the block ends without an exception (a batch of sends writes one statement,
    not one per event). The events emit() returns within have their ids only after that."""
    if getattr(_gathering, "rows", None) is not None:
        yield  # nested: the outer block writes them
        return
    rows = _gathering.rows = []
    try:
        yield
    finally:
        _gathering.rows = None
    if rows:
        OutboxEvent.objects.bulk_create(rows)


def emit(event_type, *, key, payload, actor=None):
    """Record an event in the current transaction; it leaves after commit, never before."""
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {event_type!r}; declare it in streaming.events.EVENT_TYPES")
    version = EVENT_TYPES[event_type][0]
    actor_id = getattr(actor, "pk", actor)
    event = OutboxEvent(
        type=event_type,
        version=version,
        key=str(key),
        actor_id=actor_id,
        payload=payload,
        occurred_at=_occurred_now(),
    )
    rows = getattr(_gathering, "rows", None)
    if rows is None:
        event.save(force_insert=True)
    else:
        rows.append(event)
    if settings.KAFKA_BOOTSTRAP_SERVERS and connection.vendor == "postgresql":
        wake_relay_after_commit()
    transaction.on_commit(lambda: bus.after_commit(event))
    return event
