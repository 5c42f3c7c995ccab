"""What every message store returns: plain values, the same whichever adapter made them."""

from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID


@dataclass
class Message:
    id: UUID
    conversation_id: UUID
    seq: int
    sender_id: int
    client_id: str
    text: str
    created_at: datetime
    parent_id: UUID | None = None
    mentions: list[int] = field(default_factory=list)
    mention_all: bool = False
    edited_at: datetime | None = None
    deleted_at: datetime | None = None
    pinned_at: datetime | None = None
    pinned_by_id: int | None = None
    # emoji -> user ids, in the order they reacted
    reactions: dict[str, list[int]] = field(default_factory=dict)
    # What the files app said about each attached file when the message was sent (id, name, size,
    # type, image size, placeholder): the store keeps it as given, a tombstone drops it.
    attachments: list[dict] = field(default_factory=list)
    # The root message of the thread this one replies in (stored); None for a top-level message.
    thread_root_id: UUID | None = None
    # A root's thread summary. Not kept by the stores: chats.threads fills it in from the relational
    # ThreadSummary row, written in the reply's own transaction whichever store holds the messages.
    reply_count: int = 0
    last_reply_at: datetime | None = None
    # Link previews (title, description, site, image) the files app found for the message's links:
    # None while none were looked for; a list once decided (empty: none found, or the author
    # removed them), so a late lookup never brings back what the author took away.
    previews: list[dict] | None = None

    @property
    def is_deleted(self):
        return self.deleted_at is not None


@dataclass
class Event:
    """One entry of a conversation's log. `message` is the message as it is now, if any."""

    conversation_id: UUID
    seq: int
    type: str
    actor_id: int | None
    created_at: datetime
    message_id: UUID | None = None
    data: dict = field(default_factory=dict)
    message: Message | None = None


@dataclass
class Edit:
    text: str
    replaced_at: datetime


class AlreadyDone(Exception):
    """The write would change nothing (a reaction already there, a pin already set)."""


@dataclass
class Chunk:
    """A slice of one conversation as `manage.py migrate_store` copies it: the events with a seq in
    a range, and the current state of the messages created or changed by them."""

    conversation_id: UUID
    messages: list[Message]
    histories: dict[UUID, list[Edit]]  # message id -> earlier texts, for the messages that have any
    events: list[Event]  # without their message
    last_seq: int  # the counter the target must reach: seqs up to it are used, even where none is left
