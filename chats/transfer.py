"""Copying a message store's contents out and back in, by seq ranges: shared by
`manage.py migrate_store` (store to store) and the workspace export and import (store to files).

Everything here works through the store port (chats.backends.get_store or a store passed in), so
a copy made from one adapter loads into the other.
"""

import hashlib
import json
import os
from dataclasses import asdict
from datetime import datetime
from uuid import UUID

from chats.backends.types import Chunk, Edit, Event, Message
from chats.models import Conversation, Membership
from chatsite.portable import Portable, plain

PAGE = 1000


def all_counters(store, after=None):
    """(conversation id, last seq) of every conversation of a store after `after`, by id."""
    while page := store.counters(after, PAGE):
        yield from page
        after = page[-1][0]


def chunks(store, conversation_id, span, start=0):
    """(after, upto, chunk) for the conversation's log from `start`, in ranges of `span` seqs."""
    last = store.latest_seq(conversation_id)
    while start < last:
        upto = min(start + span, last)
        yield start, upto, store.export(conversation_id, start, upto)
        start = upto


class Checkpoint:
    """A small JSON state file, replaced atomically: a kill leaves the old file or the new one."""

    def __init__(self, path):
        self.path = path
        self.state = json.loads(path.read_text()) if path.exists() else {}

    def save(self, **changes):
        self.state.update(changes)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_suffix(".tmp")
        partial.write_text(json.dumps(self.state))
        os.replace(partial, self.path)

    def forget(self):
        self.path.unlink(missing_ok=True)
        self.state = {}


class Digest:
    """(last seq, messages, events, sha256) of one conversation's log, fed chunk by chunk in seq
    order. Messages and events hash apart, so the result does not depend on the range size.
    Times are left out: MongoDB keeps milliseconds, SQL microseconds."""

    def __init__(self):
        self.messages, self.events, self.last_seq = 0, 0, 0
        self._messages, self._events = hashlib.sha256(), hashlib.sha256()

    def add(self, after, upto, chunk):
        # A chunk also carries older messages its events changed: each is counted in its own range.
        for m in (m for m in chunk.messages if after < m.seq <= upto):
            reactions = sorted((emoji, users) for emoji, users in m.reactions.items())
            history = [h.text for h in chunk.histories.get(m.id, ())]
            fields = [m.seq, str(m.id), m.sender_id, m.client_id, m.text, m.is_deleted, str(m.parent_id)]
            fields += [m.mentions, m.mention_all, m.pinned_at is not None, m.pinned_by_id, reactions, history]
            self._messages.update(json.dumps(fields).encode())
            self.messages += 1
        for e in chunk.events:
            self._events.update(
                json.dumps([e.seq, e.type, str(e.message_id), e.actor_id, e.data], sort_keys=True).encode()
            )
            self.events += 1
        self.last_seq = max(self.last_seq, chunk.last_seq)

    def result(self):
        both = hashlib.sha256(self._messages.digest() + self._events.digest()).hexdigest()
        return [self.last_seq, self.messages, self.events, both]


def digest(store, conversation_id, span=PAGE):
    """Digest.result() of one conversation as a store holds it now."""
    d = Digest()
    for after, upto, chunk in chunks(store, conversation_id, span):
        d.add(after, upto, chunk)
    return d.result()


# --- the relational rows that travel with a workspace export (chatsite.portable) ---

CONVERSATIONS = Portable(
    "conversations",
    Conversation,
    fields=("id", "kind", "title", "topic", "is_public", "direct_key", "created_by_id", "created_at", "archived_at"),
    key=("id",),
)
MEMBERSHIPS = Portable(
    "memberships",
    Membership,
    fields=("conversation_id", "user_id", "role", "joined_at", "last_read_seq"),
    key=("conversation_id", "user_id"),
)


# --- a chunk as JSON (the workspace export's files) ---

_UUIDS = {"id", "conversation_id", "parent_id", "message_id"}
_TIMES = {"created_at", "edited_at", "deleted_at", "pinned_at", "replaced_at"}


def _typed(fields):
    for name in _UUIDS & fields.keys():
        if fields[name] is not None:
            fields[name] = UUID(fields[name])
    for name in _TIMES & fields.keys():
        if fields[name] is not None:
            fields[name] = datetime.fromisoformat(fields[name])
    return fields


def chunk_to_json(chunk: Chunk) -> str:
    body = asdict(chunk)
    body["histories"] = [[str(k), v] for k, v in body["histories"].items()]
    return json.dumps(body, default=plain, ensure_ascii=False)


def chunk_from_json(line: str) -> Chunk:
    body = json.loads(line)
    return Chunk(
        conversation_id=UUID(body["conversation_id"]),
        messages=[Message(**_typed(m)) for m in body["messages"]],
        histories={UUID(k): [Edit(**_typed(e)) for e in v] for k, v in body["histories"]},
        events=[Event(**_typed({**e, "message": None})) for e in body["events"]],
        last_seq=body["last_seq"],
    )


# --- a person's own data (the GDPR export) ---


def authored(store, user_id, conversation_id, span=PAGE):
    """(messages, reactions) of one person in one conversation, oldest first: the live messages they
    sent, and (message id, emoji) of each reaction they made on a live message."""
    # A chunk repeats an older message that a later event changed: keyed by id, each counts once.
    live = {}
    for _, _, chunk in chunks(store, conversation_id, span):
        live.update((m.id, m) for m in chunk.messages if not m.is_deleted)
    ordered = sorted(live.values(), key=lambda m: m.seq)
    messages = [m for m in ordered if m.sender_id == user_id]
    reactions = [(m.id, emoji) for m in ordered for emoji, users in m.reactions.items() if user_id in users]
    return messages, reactions
