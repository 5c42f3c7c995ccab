"""Reads for moderators: bans, messages through the store port, reports and the audit trail."""

import uuid

from chats.backends import get_store
from chats.backends.types import Message
from chats.selectors import all_conversations
from moderation.models import AuditLog, Ban, MessageReport

SEARCH_LIMIT = 50


def ban_of(user) -> Ban | None:
    return Ban.objects.filter(user=user).select_related("banned_by").first()


def parse_id(value) -> uuid.UUID | None:
    """A UUID from user input (a URL, a form), or None: a malformed id names nothing."""
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError:
        return None


def find_message(message_id) -> Message | None:
    """Any message, deleted or not, in whichever store MESSAGE_STORE selects."""
    parsed = parse_id(message_id)
    return get_store().get(parsed) if parsed else None


def search_messages(query: str, conversation_id: uuid.UUID | None = None, limit: int = SEARCH_LIMIT) -> list[Message]:
    """Live messages matching every word of `query`, newest first, in one conversation or in all;
    without a query, a conversation's newest messages (tombstones included, so a moderator sees
    what was removed). Through the store's own search, so it works on every store."""
    store = get_store()
    if not query.strip():
        if conversation_id is None:
            return []
        return list(reversed(store.page(conversation_id, limit=limit)))
    # The store searches the conversations it is given; a moderator may search them all.
    ids = [conversation_id] if conversation_id else list(all_conversations().values_list("id", flat=True))
    return store.search(ids, query, limit, set())


def context_of(message, around: int = 3) -> list[Message]:
    """The message with up to `around` messages before and after it, in seq order: what a
    moderator reads a reported message in."""
    store = get_store()
    before = store.page(message.conversation_id, before=message.seq, limit=around)
    after = store.page(message.conversation_id, after=message.seq, limit=around)
    return [*before, message, *after]


def open_reports_of(message_id) -> list[MessageReport]:
    return list(MessageReport.objects.filter(message_id=message_id, status=MessageReport.Status.OPEN))


def audit_trail(target_type: str, target_id) -> list[AuditLog]:
    """Every moderator action on one target, newest first."""
    return list(AuditLog.objects.filter(target_type=target_type, target_id=str(target_id)))
