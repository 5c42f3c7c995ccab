"""Reads shared by the REST API and the WebSocket consumer. Lists cost a fixed number of queries."""

from dataclasses import replace

from channels.db import database_sync_to_async
from django.db.models import Q

from chats.backends import get_store
from chats.models import Conversation, Membership
from chatsite.api_errors import ApiError
from graph.selectors import blocked_ids

PAGE_MAX = 100


def not_found():
    # One answer for "does not exist" and "not yours", so existence never leaks.
    return ApiError("not_found", "Conversation not found.", 404)


def visible_conversations(user):
    """Conversations the user belongs to, and public channels."""
    return Conversation.objects.filter(Q(memberships__user=user) | Q(is_public=True)).distinct()


def membership_of(user, conversation_id):
    return Membership.objects.filter(user=user, conversation_id=conversation_id).first()


def conversation_for(user, conversation_id):
    """(conversation, membership or None) for a conversation the user may see; 404 otherwise."""
    # Members (the common case) cost one query; others may only see a public channel.
    membership = Membership.objects.select_related("conversation").filter(user=user, conversation_id=conversation_id)
    membership = membership.first()
    if membership is not None:
        return membership.conversation, membership
    conversation = Conversation.objects.filter(pk=conversation_id, is_public=True).first()
    if conversation is None:
        raise not_found()
    return conversation, None


def member_ids(conversation_id):
    return set(Membership.objects.filter(conversation_id=conversation_id).values_list("user_id", flat=True))


def members(conversation_id):
    return list(
        Membership.objects.filter(conversation_id=conversation_id).select_related("user").order_by("joined_at", "id")
    )


def conversation_list(user):
    """The user's conversations, newest activity first, each with its last message and unread count.

    Queries: memberships, DM peers, last messages, unread counts, blocks: fixed whatever the count.
    """
    memberships = list(Membership.objects.filter(user=user).select_related("conversation"))
    hidden = blocked_ids(user.pk)
    ids = [m.conversation_id for m in memberships]
    store = get_store()
    last = store.last_messages(ids, hidden)
    unread = store.unread_counts(user.pk, {m.conversation_id: m.last_read_seq for m in memberships}, hidden)
    direct_ids = [m.conversation_id for m in memberships if m.conversation.kind == Conversation.Kind.DIRECT]
    peers = {
        p.conversation_id: p.user
        for p in Membership.objects.filter(conversation_id__in=direct_ids).exclude(user=user).select_related("user")
    }
    rows = [
        {
            "conversation": m.conversation,
            "membership": m,
            "last_message": last.get(m.conversation_id),
            "unread_count": unread.get(m.conversation_id, 0),
            "peer": peers.get(m.conversation_id),
        }
        for m in memberships
    ]
    rows.sort(key=lambda r: r["last_message"].created_at if r["last_message"] else r["conversation"].created_at)
    rows.reverse()
    return rows


def public_channels(query="", limit=50):
    channels = Conversation.objects.filter(is_public=True, archived_at__isnull=True)
    if query:
        channels = channels.filter(title__icontains=query)
    return list(channels.order_by("title")[:limit])


def message_page(user, conversation_id, *, before=None, after=None, around=None, limit=50):
    conversation_for(user, conversation_id)
    store = get_store()
    hidden = blocked_ids(user.pk)
    if around is not None:
        older = store.page(conversation_id, before=around + 1, limit=limit // 2 + 1, hidden_senders=hidden)
        newer = store.page(conversation_id, after=around, limit=limit - len(older), hidden_senders=hidden)
        return older + newer
    return store.page(conversation_id, before=before, after=after, limit=limit, hidden_senders=hidden)


def events_after(user, conversation_id, seq, limit):
    """The conversation's log after `seq` for this reader. A blocked sender's events stay in the
    log as bare "hidden" entries, so that the reader sees no gap and no content."""
    conversation_for(user, conversation_id)
    return hide_blocked(get_store().events_after(conversation_id, seq, limit), blocked_ids(user.pk))


async def aevents_after(user, conversation_id, seq, limit, hidden):
    """The same for async callers (the WebSocket replay), which already know whom the reader
    blocked: the store read goes through the store's async client (AsyncMongoClient on Mongo)."""
    await database_sync_to_async(conversation_for)(user, conversation_id)
    return hide_blocked(await get_store().aevents_after(conversation_id, seq, limit), hidden)


def hide_blocked(events, hidden):
    return [hide(e) if e.message and e.message.sender_id in hidden else e for e in events]


def hide(event):
    return replace(event, type="hidden", message=None, message_id=None, data={}, actor_id=None)


def pinned_messages(user, conversation_id):
    conversation_for(user, conversation_id)
    return get_store().pinned(conversation_id, blocked_ids(user.pk))


def message_in(user, conversation_id, message_id):
    """A message of a conversation the user may see, or 404."""
    conversation, membership = conversation_for(user, conversation_id)
    message = get_store().get(message_id)
    if message is None or message.conversation_id != conversation.id or message.sender_id in blocked_ids(user.pk):
        raise ApiError("not_found", "Message not found.", 404)
    return conversation, membership, message


def message_history(user, conversation_id, message_id):
    message_in(user, conversation_id, message_id)
    return get_store().history(message_id)


def search_messages(user, query, limit=20):
    """Full-text search over the conversations the user belongs to, and nothing else."""
    ids = list(Membership.objects.filter(user=user).values_list("conversation_id", flat=True))
    return get_store().search(ids, query, limit, blocked_ids(user.pk))
