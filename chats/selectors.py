"""Reads shared by the REST API and the WebSocket consumer. Lists cost a fixed number of queries."""

from dataclasses import replace
from functools import cache
from uuid import UUID

from channels.db import database_sync_to_async
from django.db import connection
from django.db.models import Q
from django.db.transaction import TransactionManagementError

from accounts.selectors import blocked_ids
from chats.backends import get_store
from chats.models import Conversation, HeldMessage, Membership, ThreadFollow
from chats.threads import with_thread_events, with_threads
from chatsite.api_errors import ApiError
from chatsite.plain_rows import Shape

PAGE_MAX = 100


def not_found():
    # One answer for "does not exist" and "not yours", so existence never leaks.
    return ApiError("not_found", "Conversation not found.", 404)


def visible_conversations(user):
    """Conversations the user belongs to, and public channels."""
    return Conversation.objects.filter(Q(memberships__user=user) | Q(is_public=True)).distinct()


def membership_of(user, conversation_id):
    return Membership.objects.filter(user=user, conversation_id=conversation_id).first()


def conversation_for(user, conversation_id, *, lock=False):
    """(conversation, membership or None) for a conversation the user may see; 404 otherwise.
    `lock` (inside a transaction) holds the membership row, not the conversation's."""
    # Members (the common case) cost one query; others may only see a public channel.
    membership = memberships_in(conversation_id, [user.pk], lock=lock).get(user.pk)
    if membership is not None:
        return membership.conversation, membership
    conversation = Conversation.objects.filter(pk=conversation_id, is_public=True).first()
    if conversation is None:
        raise not_found()
    return conversation, None


def memberships_in(conversation_id, user_ids, *, lock=False):
    """{user id: membership, with its conversation attached as select_related() leaves it} of those
    of the users who are members, in one query. `lock` (inside a transaction) holds their
    membership rows only, taken in user order so that two writers locking overlapping sets cannot
    deadlock on each other; a send must not queue behind another's lock on the conversation."""
    user_ids = list(user_ids)
    if not user_ids:
        return {}
    locking = lock and connection.features.has_select_for_update  # SQLite locks the whole database
    if locking and connection.get_autocommit():
        raise TransactionManagementError("A locking read needs a transaction.")
    # The ORM's conversions: a malformed conversation id raises ValidationError, as its filter did.
    params = [_CONVERSATION.get_db_prep_value(conversation_id, connection)]
    params += [_USER.get_db_prep_value(user_id, connection) for user_id in user_ids]
    shape, select = _membership_read(connection.vendor)
    sql = (
        f"{select} WHERE m.conversation_id = %s AND m.user_id IN ({', '.join(['%s'] * len(user_ids))}) "
        "ORDER BY m.user_id" + (" FOR UPDATE OF m" if locking else "")
    )
    found = {}
    for membership, conversation in shape.read(sql, params):
        Membership.conversation.field.set_cached_value(membership, conversation)
        found[membership.user_id] = membership
    return found


# Plain SQL (chatsite.plain_rows): every action and replay asks memberships_in through
# conversation_for, and through the ORM it cost 1.6 ms of CPU against 0.34 (bench.hot_calls).
_CONVERSATION = Membership._meta.get_field("conversation").target_field
_USER = Membership._meta.get_field("user").target_field


@cache
def _membership_read(vendor):
    """The shape of the rows and the statement's head, once per database vendor."""
    shape = Shape((Membership, "m"), (Conversation, "c"))
    qn = connection.ops.quote_name
    # Only the models' table names go into the text; the ids are parameters.
    return shape, (
        f"SELECT {shape.columns} FROM {qn(Membership._meta.db_table)} m "  # noqa: S608  # nosec B608
        f"JOIN {qn(Conversation._meta.db_table)} c ON c.id = m.conversation_id"
    )


def is_member(user_id, conversation_id):
    return Membership.objects.filter(user_id=user_id, conversation_id=conversation_id).exists()


def conversation_ids_of(user):
    return list(Membership.objects.filter(user=user).values_list("conversation_id", flat=True))


def conversation_ids_by_user(user_ids):
    """{user id: [conversation ids]} for the given users, in one query."""
    found = {}
    for user_id, conversation_id in Membership.objects.filter(user_id__in=user_ids).values_list(
        "user_id", "conversation_id"
    ):
        found.setdefault(user_id, []).append(conversation_id)
    return found


def socket_conversations(user_id, limit):
    """(the ids of the user's conversations, as strings; up to `limit` people who share one with
    the user, whose presence they see): what a socket reads as it opens, in one statement."""
    # Plain SQL, like accounts.selectors.socket_standing: the ORM's work to build the two queries
    # was most of a connect's cost.
    table = Membership._meta.db_table
    conversations, co_members = [], []
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT conversation_id, NULL FROM {table} WHERE user_id = %(me)s
            UNION ALL SELECT NULL, co.user_id FROM (
                SELECT DISTINCT other.user_id FROM {table} mine
                JOIN {table} other ON other.conversation_id = mine.conversation_id
                WHERE mine.user_id = %(me)s AND other.user_id <> %(me)s LIMIT %(limit)s
            ) co""",  # noqa: S608  # nosec B608 - a table name only
            {"me": user_id, "limit": limit},
        )
        for conversation_id, co_member in cursor.fetchall():
            if conversation_id is None:
                co_members.append(co_member)
            else:  # a UUID on PostgreSQL, its hex on SQLite
                conversations.append(str(UUID(str(conversation_id))))
    return conversations, co_members


# For the social graph's rebuild and its one-statement suggestions query, which read memberships
# in bulk: querysets and the table name, not rows one by one.


def all_conversations():
    return Conversation.objects.all()


def all_memberships():
    return Membership.objects.all()


def membership_table():
    return Membership._meta.db_table


def member_ids(conversation_id):
    return set(Membership.objects.filter(conversation_id=conversation_id).values_list("user_id", flat=True))


def conversation_by_id(conversation_id):
    """The conversation itself, for consumers of its events (notifications); None if gone."""
    return Conversation.objects.filter(pk=conversation_id).first()


def members(conversation_id):
    return list(
        Membership.objects.filter(conversation_id=conversation_id).select_related("user").order_by("joined_at", "id")
    )


def conversation_list(user):
    """The user's conversations, newest activity first, each with its last message and unread count.

    Queries: memberships, DM peers, latest seqs, last messages, unread counts, blocks: fixed
    whatever the count.
    """
    memberships = list(Membership.objects.filter(user=user).select_related("conversation"))
    hidden = blocked_ids(user.pk)
    ids = [m.conversation_id for m in memberships]
    store = get_store()
    # Read first: whatever is committed meanwhile is above it, so a client resuming from here gets
    # it from the socket (counted twice at worst, never missed).
    seqs = store.latest_seqs(ids)
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
            "seq": seqs[m.conversation_id],
        }
        for m in memberships
    ]
    rows.sort(key=lambda r: r["last_message"].created_at if r["last_message"] else r["conversation"].created_at)
    rows.reverse()
    return rows


def unread_total(user_id):
    """Messages the user has not read, over all their conversations: a phone's badge."""
    marks = dict(Membership.objects.filter(user_id=user_id).values_list("conversation_id", "last_read_seq"))
    return sum(get_store().unread_counts(user_id, marks, blocked_ids(user_id)).values())


def public_channels(query="", limit=50):
    channels = Conversation.objects.filter(is_public=True, archived_at__isnull=True)
    if query:
        channels = channels.filter(title__icontains=query)
    return list(channels.order_by("title")[:limit])


def message_page(user, conversation_id, *, before=None, after=None, around=None, limit=50, top_level=False):
    """A page of the conversation by seq; `top_level`: without thread replies (see MessageStore.page)."""
    conversation_for(user, conversation_id)
    store = get_store()
    common = {"hidden_senders": blocked_ids(user.pk), "top_level": top_level}
    if around is not None:
        older = store.page(conversation_id, before=around + 1, limit=limit // 2 + 1, **common)
        newer = store.page(conversation_id, after=around, limit=limit - len(older), **common)
        return with_threads(older + newer)
    return with_threads(store.page(conversation_id, before=before, after=after, limit=limit, **common))


def events_after(user, conversation_id, seq, limit):
    """The conversation's log after `seq` for this reader. A blocked sender's events stay in the
    log as bare "hidden" entries, so that the reader sees no gap and no content."""
    conversation_for(user, conversation_id)
    return with_thread_events(hide_blocked(get_store().events_after(conversation_id, seq, limit), blocked_ids(user.pk)))


def log_ends(conversation_ids):
    """{conversation id (str): its latest seq}, for conversations the caller knows the reader is in
    (a socket's feeds), in one store read."""
    ends = get_store().latest_seqs([UUID(str(c)) for c in conversation_ids])
    return {str(c): seq for c, seq in ends.items()}


async def areplay_page(user, conversation_id, after, limit, hidden, *, bound=None):
    """For the WebSocket replay: (events after `after`, None), or (None, (latest seq, reason)) when
    the socket cannot replay, because the client claims a seq the store does not have or is more
    than `bound` events behind. Reads through the store's async client (AsyncMongoClient on Mongo);
    the caller already knows whom the reader blocked."""
    if bound is not None:
        latest = await get_store().alatest_seq(conversation_id)
        if after > latest:
            return None, (latest, "ahead")
        if latest - after > bound:
            return None, (latest, "too_far_behind")
        if after == latest:
            # Caught up (the usual resume): nothing to read, so no access check is needed either.
            # What commits after `latest` was read reaches the socket as a live push.
            return [], None
    await database_sync_to_async(conversation_for)(user, conversation_id)
    events = hide_blocked(await get_store().aevents_after(conversation_id, after, limit), hidden)
    if any(e.message for e in events):
        events = await database_sync_to_async(with_thread_events)(events)
    return events, None


# What a reader sees of an event of someone they blocked: it keeps its seq, so there is no gap,
# and shows nothing. One rule for stored events (hide) and for live frames (hide_frame).
HIDDEN = {"type": "hidden", "actor_id": None, "data": {}, "message": None}


def hide_blocked(events, hidden):
    return [hide(e) if e.message and e.message.sender_id in hidden else e for e in events]


def hide(event):
    return replace(event, message_id=None, **HIDDEN)


def hide_frame(frame):
    return {**frame, **HIDDEN}


def pinned_messages(user, conversation_id):
    conversation_for(user, conversation_id)
    return with_threads(get_store().pinned(conversation_id, blocked_ids(user.pk)))


def own_held_messages(user, conversation_id, limit=100):
    """The user's own sends held for review in a conversation, waiting or turned down (an
    approved one is an ordinary message now): what the sender's other devices show as pending."""
    conversation_for(user, conversation_id)
    pending = HeldMessage.objects.filter(conversation_id=conversation_id, sender=user).exclude(
        state=HeldMessage.State.APPROVED
    )
    return list(pending.order_by("-created_at")[:limit])


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


# --- threads ---


def message_with_thread(user, conversation_id, message_id):
    """A message the user may see (message_in), a root with its thread summary."""
    return with_threads([message_in(user, conversation_id, message_id)[2]])[0]


def thread_root_of(user, conversation_id, root_id):
    """A thread's root the user may see; 404 as for any message, 400 for a reply (it has no thread)."""
    _, _, root = message_in(user, conversation_id, root_id)
    if root.thread_root_id is not None:
        message = "This message is a reply: its thread is the one of its root."
        raise ApiError("reply_in_reply", message, 400, fields={"root_id": [message]})
    return root


def thread_page(user, conversation_id, root_id, *, before=None, after=None, limit=50):
    """(root with its summary, a page of its replies, the reader's follow row or None)."""
    root = thread_root_of(user, conversation_id, root_id)
    replies = get_store().thread_replies(
        root.conversation_id, root.id, before=before, after=after, limit=limit, hidden_senders=blocked_ids(user.pk)
    )
    follow = ThreadFollow.objects.filter(user=user, root_id=root.id).first()
    return with_threads([root])[0], replies, follow


def followed_threads(user, limit=50):
    """The threads the user follows in conversations they still belong to, newest reply first, each
    {root, follow, unread_count}. Queries: follows, summaries, roots, unread counts: fixed."""
    follows = list(
        ThreadFollow.objects.filter(user=user, following=True, conversation__memberships__user=user).order_by("-id")[
            :PAGE_MAX
        ]
    )
    if not follows:
        return []
    hidden = blocked_ids(user.pk)
    store = get_store()
    roots = with_threads([r for r in store.get_many([f.root_id for f in follows]) if r.sender_id not in hidden])
    by_id = {r.id: r for r in roots}
    marks = {f.root_id: (f.conversation_id, f.last_read_seq) for f in follows if f.root_id in by_id}
    unread = store.thread_unread_counts(user.pk, marks, hidden)
    rows = [
        {"root": by_id[f.root_id], "follow": f, "unread_count": unread.get(f.root_id, 0)}
        for f in follows
        if f.root_id in by_id
    ]
    rows.sort(key=lambda r: r["root"].last_reply_at or r["root"].created_at, reverse=True)
    return rows[:limit]
