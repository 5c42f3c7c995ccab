"""The documents of the MongoDB message store (see mongo.py for what each field is for)."""

from django.utils import timezone

from chats.backends import mongo_reads as reads
from chats.backends.types import Message

# What a change may alter, and what `prev` keeps to show (or restore) the message before it.
STATE = (
    "text",
    "mentions",
    "mention_all",
    "attachments",
    "previews",
    "edited_at",
    "deleted_at",
    "pinned_at",
    "pinned_by",
    "reactions",
    "v",
    "tx",
)


def now():
    # BSON dates hold milliseconds: cut the rest now, so what a write returns is what a read returns.
    now = timezone.now()
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def event_id(conversation, seq):
    return f"{conversation}:{seq}"


def message_document(message: Message, history=()):
    return {
        "_id": reads.key(message.id),
        "conversation": reads.key(message.conversation_id),
        "seq": message.seq,
        "span": reads.span(message.seq),
        "tail": reads.tail(message.seq),
        "sender": message.sender_id,
        "client_id": message.client_id,
        "dedupe": reads.dedupe_key(message.conversation_id, message.sender_id, message.client_id),
        "text": message.text,
        "tokens": [] if message.is_deleted else reads.words(message.text),
        "parent": reads.key(message.parent_id),
        "root": reads.key(message.thread_root_id),
        "mentions": list(message.mentions),
        "mention_all": message.mention_all,
        "attachments": list(message.attachments),
        "previews": message.previews,
        "created_at": message.created_at,
        "edited_at": message.edited_at,
        "deleted_at": message.deleted_at,
        "pinned_at": message.pinned_at,
        "pinned_by": message.pinned_by_id,
        "reactions": [{"emoji": e, "user_id": u} for e, users in message.reactions.items() for u in users],
        "edits": [{"text": e.text, "replaced_at": e.replaced_at} for e in history],
        "v": message.seq,
        "tx": None,
        "prev": None,
        "prev_edits": None,
    }


def event_document(conversation_id, seq, type, actor_id, created_at, message_id=None, data=None, **extra):
    conversation = reads.key(conversation_id)
    return {
        "_id": event_id(conversation, seq),
        "conversation": conversation,
        "seq": seq,
        "span": reads.span(seq),
        "tail": reads.tail(seq),
        "type": type,
        "actor": actor_id,
        "message": reads.key(message_id),
        "data": data or {},
        "created_at": created_at,
        **extra,
    }


def reverted(doc):
    """A message document taken back to its state before its last change."""
    doc = {**doc, **doc["prev"], "edits": doc.get("prev_edits") or [], "prev": None, "prev_edits": None}
    doc["tokens"] = [] if doc["deleted_at"] else reads.words(doc["text"])
    return doc
