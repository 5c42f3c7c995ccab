"""How messages, events and conversations look on the wire, for REST and WebSocket alike."""

from datetime import UTC, datetime

from rest_framework import serializers

from accounts.api.serializers import PublicProfileSerializer


class ReactionField(serializers.DictField):
    child = serializers.ListField(child=serializers.IntegerField())


class MessageSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    conversation_id = serializers.UUIDField()
    seq = serializers.IntegerField()
    sender_id = serializers.IntegerField()
    client_id = serializers.CharField()
    text = serializers.CharField(help_text="Empty on a deleted message (a tombstone).")
    parent_id = serializers.UUIDField(allow_null=True)
    mentions = serializers.ListField(child=serializers.IntegerField())
    mention_all = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    edited_at = serializers.DateTimeField(allow_null=True)
    deleted = serializers.BooleanField(source="is_deleted")
    pinned = serializers.SerializerMethodField()
    reactions = ReactionField(help_text="emoji -> ids of the users who reacted with it")
    attachments = serializers.ListField(
        child=serializers.DictField(),
        help_text="The attached files: id, name, size, content_type, kind (image or file), width, height, "
        "placeholder (a tiny blurred image as a data: URL), animated, and url, the path that answers a "
        "member with a short-lived download link (add ?variant=small or large for an image's thumbnails).",
    )
    thread_root = serializers.UUIDField(
        source="thread_root_id", allow_null=True, help_text="The root message of the thread this is a reply in."
    )
    reply_count = serializers.IntegerField(help_text="A thread root's live replies (0 for any other message).")
    last_reply_at = serializers.DateTimeField(allow_null=True, help_text="A thread root's newest live reply.")

    previews = serializers.ListField(
        child=serializers.DictField(),
        allow_null=True,
        help_text="Link previews of the message's first links: url, title, description, site_name, and "
        "image (a path that answers with the stored thumbnail, or null). null while not looked for yet.",
    )

    def get_pinned(self, message) -> bool:
        return message.pinned_at is not None

    def to_representation(self, message):
        return message_data(message)  # the same shape, built directly (see message_data)


class HeldMessageSerializer(serializers.Serializer):
    """A send of one's own that waits for a moderator (state pending) or was turned down (rejected)."""

    id = serializers.UUIDField()
    conversation_id = serializers.UUIDField()
    client_id = serializers.CharField()
    text = serializers.CharField()
    parent_id = serializers.UUIDField(allow_null=True)
    thread_root = serializers.UUIDField(source="thread_root_id", allow_null=True)
    state = serializers.CharField(help_text="pending or rejected")
    created_at = serializers.DateTimeField()
    decided_at = serializers.DateTimeField(allow_null=True)


class EventSerializer(serializers.Serializer):
    conversation_id = serializers.UUIDField()
    seq = serializers.IntegerField()
    type = serializers.CharField(
        help_text="message.created, message.edited, message.deleted, reaction.added, reaction.removed, "
        "message.pinned, message.previewed, member.joined, member.left, member.role_changed, conversation.updated, "
        "or hidden (a blocked sender's event, shown without content so that no seq is missing)"
    )
    # A thread reply's message.created and message.deleted carry data.thread: {root_id, reply_count,
    # last_reply_at, last_reply_seq}, the root's summary after it.
    actor_id = serializers.IntegerField(allow_null=True)
    created_at = serializers.DateTimeField()
    data = serializers.DictField()
    message = MessageSerializer(allow_null=True)

    def to_representation(self, event):
        return event_frame(event)  # the same shape, built directly (see event_frame)


# The shapes of a message and an event, built directly. DRF's generic walk (a field object per
# value, its attribute lookup and checks) was 9% of a busy server's samples at 250 sends/s: it ran
# twice per send (the live event and the ack) and once per event of a replay. The serializers
# above still declare the shapes for the API schema; their to_representation is these functions,
# and a test holds the two to the same output as DRF's own walk.
_TIME = serializers.DateTimeField()  # DRF's formatting and time zone rule, for naive times


def _time(value):
    """A time on the wire: ISO 8601 in UTC, with Z (TIME_ZONE is UTC, and no request activates
    another). An aware time is converted here; DRF's field looks the active time zone up in a
    context-local for every value, which was a sixth of a replay's CPU. A naive one (a store may
    give one back) takes DRF's rule, which reads it as UTC."""
    if value is None:
        return None
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).isoformat().removesuffix("+00:00") + "Z"
    return _TIME.to_representation(value)


def _uuid(value):
    return None if value is None else str(value)


def _dicts(items):
    return None if items is None else [None if item is None else {str(k): v for k, v in item.items()} for item in items]


def message_data(message) -> dict:
    """A message's wire shape (MessageSerializer), as an action's answer over REST or the socket."""
    m = message
    return {
        "id": str(m.id),
        "conversation_id": str(m.conversation_id),
        "seq": int(m.seq),
        "sender_id": None if m.sender_id is None else int(m.sender_id),
        "client_id": str(m.client_id),
        "text": str(m.text),
        "parent_id": _uuid(m.parent_id),
        "mentions": [None if u is None else int(u) for u in m.mentions],
        "mention_all": bool(m.mention_all),
        "created_at": _time(m.created_at),
        "edited_at": _time(m.edited_at),
        "deleted": m.is_deleted,
        "pinned": m.pinned_at is not None,
        "reactions": {str(emoji): [int(u) for u in users] for emoji, users in m.reactions.items()},
        "attachments": _dicts(m.attachments),
        "thread_root": _uuid(m.thread_root_id),
        "reply_count": int(m.reply_count),
        "last_reply_at": _time(m.last_reply_at),
        "previews": _dicts(m.previews),
    }


def event_frame(event) -> dict:
    """A conversation event's wire shape, the same for REST, live pushes and WebSocket replay."""
    e = event
    return {
        "conversation_id": str(e.conversation_id),
        "seq": int(e.seq),
        "type": str(e.type),
        "actor_id": None if e.actor_id is None else int(e.actor_id),
        "created_at": _time(e.created_at),
        "data": {str(k): v for k, v in e.data.items()},
        "message": None if e.message is None else message_data(e.message),
    }


class EditSerializer(serializers.Serializer):
    text = serializers.CharField()
    replaced_at = serializers.DateTimeField()


class ConversationSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    kind = serializers.CharField()
    title = serializers.CharField()
    topic = serializers.CharField()
    is_public = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    archived = serializers.BooleanField(source="is_archived")


class MembershipSerializer(serializers.Serializer):
    user = PublicProfileSerializer()
    role = serializers.CharField()
    joined_at = serializers.DateTimeField()
    last_read_seq = serializers.IntegerField()


class ConversationListItemSerializer(serializers.Serializer):
    conversation = ConversationSerializer()
    role = serializers.CharField(source="membership.role")
    last_read_seq = serializers.IntegerField(source="membership.last_read_seq")
    unread_count = serializers.IntegerField()
    last_message = MessageSerializer(allow_null=True)
    peer = PublicProfileSerializer(allow_null=True, help_text="The other person, in a direct conversation.")
    seq = serializers.IntegerField(
        help_text="The conversation's latest event seq when the list was read: where a client that "
        "knew nothing of it resumes (its last message's seq may be far older, or there may be none)."
    )


class ThreadFollowSerializer(serializers.Serializer):
    following = serializers.BooleanField()
    last_read_seq = serializers.IntegerField()


class ThreadSerializer(serializers.Serializer):
    root = MessageSerializer()
    replies = MessageSerializer(many=True)
    following = serializers.SerializerMethodField()
    last_read_seq = serializers.SerializerMethodField()

    def get_following(self, thread) -> bool:
        return bool(thread["follow"] and thread["follow"].following)

    def get_last_read_seq(self, thread) -> int:
        return thread["follow"].last_read_seq if thread["follow"] else 0


class FollowedThreadSerializer(serializers.Serializer):
    root = MessageSerializer()
    last_read_seq = serializers.IntegerField(source="follow.last_read_seq")
    unread_count = serializers.IntegerField()
