"""Threads: replies to a top-level message, each an ordinary message of the conversation with its
own seq (so sends stay idempotent and resume and replay need nothing new). A reply names its root
by message id, not by seq: ids are what every message endpoint takes, a reply to a reply is
told apart by reading one message, and an id never depends on which store numbered it.

Each reply moves its root's ThreadSummary and its people's ThreadFollow rows in its own
transaction; a deleted reply takes its count back."""

from django.db import transaction
from django.db.models import F

from chats.actions.rules import invalid, require_member
from chats.backends import get_store
from chats.models import ThreadFollow, ThreadSummary
from chats.selectors import member_ids, thread_root_of

# How many replies a deleted last reply's successor is looked for among, per read.
LOOKBACK = 50


def check_thread_root(conversation, root_id):
    """The root message a reply may be sent to: a live top-level message of this conversation."""
    root = get_store().get(root_id)
    if root is None or root.conversation_id != conversation.id or root.is_deleted:
        raise invalid("thread_root", "The thread's first message is not in this conversation.")
    if root.thread_root_id is not None:
        raise invalid("thread_root", "This message is a reply: answer in its thread, not to it.", "reply_in_reply")
    return root


def reply_posted(reply, root):
    """In the reply's transaction: count it on its root, and follow the thread for the replier (again,
    even after an unfollow: replying is asking for it), the root's sender and the mentioned members."""
    summary, made = ThreadSummary.objects.get_or_create(
        root_id=root.id,
        defaults={
            "conversation_id": reply.conversation_id,
            "reply_count": 1,
            "last_reply_at": reply.created_at,
            "last_reply_seq": reply.seq,
        },
    )
    if not made:
        # Every writer of the conversation waits on its seq counter lock, so this row has no rival.
        ThreadSummary.objects.filter(pk=root.id).update(
            reply_count=F("reply_count") + 1, last_reply_at=reply.created_at, last_reply_seq=reply.seq
        )
        summary.refresh_from_db()
    ThreadFollow.objects.update_or_create(
        user_id=reply.sender_id,
        root_id=root.id,
        defaults={"following": True, "last_read_seq": reply.seq, "conversation_id": reply.conversation_id},
    )
    others = ({root.sender_id} | set(reply.mentions)) & member_ids(reply.conversation_id)
    others.discard(reply.sender_id)
    ThreadFollow.objects.bulk_create(
        [ThreadFollow(user_id=u, root_id=root.id, conversation_id=reply.conversation_id) for u in sorted(others)],
        ignore_conflicts=True,  # an earlier unfollow stands
    )
    return summary


def reply_deleted(reply):
    """In the delete's transaction (under the conversation's counter lock): one live reply fewer, and
    the last reply time falls back to the newest live reply left."""
    summary = ThreadSummary.objects.select_for_update().filter(pk=reply.thread_root_id).first()
    if summary is None:
        return None
    summary.reply_count = max(summary.reply_count - 1, 0)
    if summary.last_reply_seq == reply.seq:
        newest = _newest_live_reply(reply.conversation_id, reply.thread_root_id, before=reply.seq)
        summary.last_reply_at = newest.created_at if newest else None
        summary.last_reply_seq = newest.seq if newest else 0
    summary.save(update_fields=["reply_count", "last_reply_at", "last_reply_seq"])
    return summary


def _newest_live_reply(conversation_id, root_id, before):
    store = get_store()
    while before > 1:
        replies = store.thread_replies(conversation_id, root_id, before=before, limit=LOOKBACK)
        if not replies:
            return None
        for reply in reversed(replies):
            if not reply.is_deleted:
                return reply
        before = replies[0].seq
    return None


def check_thread(user, conversation_id, root_id):
    """(conversation, root) for a member; 404 for a root they may not see, 400 for a reply."""
    conversation, _ = require_member(user, conversation_id)
    root = thread_root_of(user, conversation_id, root_id)
    return conversation, root


def do_follow_thread(user, conversation_id, root_id, following: bool) -> ThreadFollow:
    with transaction.atomic():
        conversation, root = check_thread(user, conversation_id, root_id)
        follow, _ = ThreadFollow.objects.update_or_create(
            user=user, root_id=root.id, defaults={"following": following, "conversation": conversation}
        )
    return follow


def do_mark_thread_read(user, conversation_id, root_id, seq: int) -> int:
    """Move the thread's read marker forward (never back, never past the conversation's newest seq).
    Reading a thread does not follow it."""
    with transaction.atomic():
        conversation, root = check_thread(user, conversation_id, root_id)
        if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
            raise invalid("seq", "seq is a non-negative integer.")
        seq = min(seq, get_store().latest_seq(conversation.id))
        follow, _ = ThreadFollow.objects.get_or_create(
            user=user, root_id=root.id, defaults={"conversation": conversation, "following": False}
        )
        ThreadFollow.objects.filter(pk=follow.pk, last_read_seq__lt=seq).update(last_read_seq=seq)
    return max(seq, follow.last_read_seq)
