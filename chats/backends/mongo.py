"""The MongoDB message store (pymongo), for production; FerretDB 1.24 stands in for MongoDB in tests.

Collections
  messages  one document per message: {_id: message id, conversation, seq, sender, client_id,
            dedupe ("conversation:sender:client_id"), text, tokens (search words), parent, mentions,
            mention_all, created_at, edited_at, deleted_at, pinned_at, pinned_by,
            reactions: [{emoji, user_id}] in the order given, edits: [{text, replaced_at}] oldest first}.
            Reactions are an array, not an object keyed by emoji: an emoji is any 32 characters, and
            a key may not hold "." or start with "$".
  events    the conversation log: {conversation, seq, type, actor, message, data, created_at}
  counters  {_id: conversation id, seq: the highest seq taken, as far as this document knows}
Ids (message, conversation, parent) are stored as strings: see mongo_reads.key.

Indexes are created the first time a process writes (create_index leaves an existing index alone),
and ahead of a deploy by `manage.py mongo_indexes`.

Seqs. Inserting the event is what takes a seq: the unique (conversation, seq) index on events lets
exactly one writer have each number, on MongoDB and on FerretDB alike. `$inc` on a counter would not
do on FerretDB 1.24, which applies every update as read, change, write back without a lock (20
threads doing 5 `$inc` each on one counter left it at 17, not 100). A writer tries counter + 1 and,
when that seq is taken, the next one above what it has seen taken; then it raises the counter with
`$max`. A seq is only tried once the seq below it is known to be taken, so events appear in seq
order and a reader never passes a seq that is still to come.

No transactions (FerretDB has none; MongoDB needs a replica set for them), so a write is a few
single-document writes in a fixed order, and:
- A seq may go unused: a send that loses a client_id race, or a send taken back by `discard`,
  deletes the event it inserted. Seqs are strictly increasing, not gapless.
- A send inserts its message.created event just before the message: `events_after` waits at such an
  event until its message is there (see mongo_reads.settled).
- The relational transaction of an action does not cover these writes: `discard` takes back a send
  whose transaction rolled back (chats.actions.do_send_message).
- Embedded reactions and edits rely on single-document updates being atomic. They are on MongoDB; on
  FerretDB two concurrent changes of one message may lose one, so tests do not race those.
"""

import asyncio
import threading
import uuid
import weakref
from contextlib import suppress
from datetime import UTC, timedelta

from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from pymongo import AsyncMongoClient, IndexModel, MongoClient, ReplaceOne, ReturnDocument
from pymongo.errors import ConfigurationError, DuplicateKeyError

from chats.backends import mongo_reads as reads
from chats.backends.base import MessageStore
from chats.backends.types import AlreadyDone, Message

INDEXES = {
    "messages": [
        IndexModel([("conversation", 1), ("seq", 1)], unique=True, name="conversation_seq"),
        IndexModel([("dedupe", 1)], unique=True, name="dedupe"),
        IndexModel([("conversation", 1), ("sender", 1)], name="conversation_sender"),
        IndexModel([("tokens", 1)], name="tokens"),
    ],
    "events": [IndexModel([("conversation", 1), ("seq", 1)], unique=True, name="conversation_seq")],
}

CLIENT_OPTIONS = {"uuidRepresentation": "standard", "tz_aware": True, "tzinfo": UTC}
EDIT_ATTEMPTS = 20


def _now():
    # BSON dates hold milliseconds: cut the rest now, so what a write returns is what a read returns.
    now = timezone.now()
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def _missing(message_id):
    return LookupError(f"no message {message_id}")


def message_document(message: Message, history=()):
    return {
        "_id": reads.key(message.id),
        "conversation": reads.key(message.conversation_id),
        "seq": message.seq,
        "sender": message.sender_id,
        "client_id": message.client_id,
        "dedupe": reads.dedupe_key(message.conversation_id, message.sender_id, message.client_id),
        "text": message.text,
        "tokens": [] if message.is_deleted else reads.words(message.text),
        "parent": reads.key(message.parent_id),
        "mentions": list(message.mentions),
        "mention_all": message.mention_all,
        "created_at": message.created_at,
        "edited_at": message.edited_at,
        "deleted_at": message.deleted_at,
        "pinned_at": message.pinned_at,
        "pinned_by": message.pinned_by_id,
        "reactions": [{"emoji": e, "user_id": u} for e, users in message.reactions.items() for u in users],
        "edits": [{"text": e.text, "replaced_at": e.replaced_at} for e in history],
    }


def event_document(conversation_id, seq, type, actor_id, created_at, message_id=None, data=None):
    return {
        "conversation": reads.key(conversation_id),
        "seq": seq,
        "type": type,
        "actor": actor_id,
        "message": reads.key(message_id),
        "data": data or {},
        "created_at": created_at,
    }


class MongoMessageStore(MessageStore):
    # How long events_after waits at a message.created event whose message is not there yet. Longer
    # than a send takes from its event to its message, plus clock skew between app servers; after
    # it, the message is taken to be gone for good (a writer that died in between).
    settle_time = timedelta(seconds=5)

    def __init__(self, url, **client_options):
        self._url = url
        self._options = {**CLIENT_OPTIONS, **client_options}
        self._client = MongoClient(url, **self._options)
        try:
            self._db = self._client.get_default_database()
        except ConfigurationError:
            raise ImproperlyConfigured("MONGO_URL must name the database: mongodb://host:port/<database>") from None
        self._async_clients = weakref.WeakKeyDictionary()  # event loop -> AsyncMongoClient
        self._indexed = False
        self._index_lock = threading.Lock()

    def close(self):
        self._client.close()
        self._async_clients.clear()

    def ensure_indexes(self):
        for collection, indexes in INDEXES.items():
            for index in indexes:
                # One per command: FerretDB 1.24 drops the connection when several indexes that all
                # exist already come in one createIndexes.
                self._db[collection].create_indexes([index])
        self._indexed = True

    def _ready(self):
        if not self._indexed:
            with self._index_lock:
                if not self._indexed:
                    self.ensure_indexes()

    # --- running reads (see mongo_reads) ---

    def _read(self, plan):
        return reads.run(plan, self._db)

    async def _aread(self, plan):
        # An AsyncMongoClient belongs to the event loop it was made on, so each loop gets its own.
        loop = asyncio.get_running_loop()
        client = self._async_clients.get(loop)
        if client is None:
            client = self._async_clients[loop] = AsyncMongoClient(self._url, **self._options)
        return await reads.arun(plan, client.get_default_database())

    # --- writes ---

    def _counter(self, conversation_id):
        counter = self._db.counters.find_one({"_id": conversation_id})
        return counter["seq"] if counter else 0

    def _claim(self, document):
        """Insert an event at the conversation's next seq, and return the seq (see the module docstring)."""
        conversation_id = document["conversation"]
        seq = self._counter(conversation_id) + 1
        while True:
            try:
                self._db.events.insert_one({**document, "seq": seq})
                break
            except DuplicateKeyError:
                # Taken: go on above the newest event (the counter may trail it far, as after a restore).
                seq = max(seq, self._read(reads.latest_seq(conversation_id))) + 1
        # Two first writes may both try to make the counter: one does, and the next write raises it.
        with suppress(DuplicateKeyError):
            self._db.counters.update_one({"_id": conversation_id}, {"$max": {"seq": seq}}, upsert=True)
        return seq

    def _log(self, conversation_id, type, actor_id, message_id=None, data=None):
        document = event_document(conversation_id, None, type, actor_id, _now(), message_id, data)
        document["seq"] = self._claim(document)
        # Read the message after its event took a seq: the event with the highest seq then carries
        # every change made before it, whatever order concurrent writers finish in.
        message = self._read(reads.get(message_id)) if message_id else None
        return reads.to_event(document, message)

    def send(self, *, conversation_id, sender_id, client_id, text, parent_id, mentions, mention_all):
        self._ready()
        existing = self.find_by_client_id(conversation_id, sender_id, client_id)
        if existing:
            return existing, False
        message_id, now = uuid.uuid4(), _now()
        seq = self._claim(event_document(conversation_id, None, "message.created", sender_id, now, message_id))
        message = Message(
            id=message_id,
            conversation_id=conversation_id,
            seq=seq,
            sender_id=sender_id,
            client_id=client_id,
            text=text,
            created_at=now,
            parent_id=parent_id,
            mentions=list(mentions),
            mention_all=mention_all,
        )
        try:
            self._db.messages.insert_one(message_document(message))
        except BaseException as error:
            # Give up our event, so that no message.created stays without its message; its seq stays
            # unused. On a duplicate, a concurrent retry with this client_id won the unique dedupe
            # index: answer with its message.
            self._db.events.delete_one({"conversation": reads.key(conversation_id), "seq": seq})
            if not isinstance(error, DuplicateKeyError):
                raise
            winner = self.find_by_client_id(conversation_id, sender_id, client_id)
            if winner is None:
                raise
            return winner, False
        return message, True

    def discard(self, message):
        # The message first: until its event goes too, readers wait at an event without its message.
        self._db.messages.delete_one({"_id": reads.key(message.id), "seq": message.seq})
        self._db.events.delete_one({"conversation": reads.key(message.conversation_id), "seq": message.seq})

    def append_event(self, conversation_id, type, actor_id, data):
        self._ready()
        return self._log(conversation_id, type, actor_id, data=data)

    def _change(self, message_id, change, state=None, before=False):
        """Apply an update to one message; its document (before or after the change), or None when
        `state` did not match. Raises LookupError when there is no such message."""
        # No projection: FerretDB's findAndModify has none.
        self._ready()
        document = self._db.messages.find_one_and_update(
            {"_id": reads.key(message_id), **(state or {})},
            change,
            return_document=ReturnDocument.BEFORE if before else ReturnDocument.AFTER,
        )
        if document is None and not self._db.messages.count_documents({"_id": reads.key(message_id)}, limit=1):
            raise _missing(message_id)
        return document

    def edit(self, message_id, text, actor_id):
        self._ready()
        for _ in range(EDIT_ATTEMPTS):
            current = self._db.messages.find_one(
                {"_id": reads.key(message_id)}, {"conversation": 1, "text": 1, "edited_at": 1}
            )
            if current is None:
                raise _missing(message_id)
            now = _now()
            # Compare and set on (text, edited_at): a concurrent edit makes us read again, so each
            # replaced text lands in the history once. A message deleted meanwhile stays deleted.
            unchanged = {"_id": current["_id"], "text": current["text"], "edited_at": current.get("edited_at")}
            changed = self._db.messages.update_one(
                {**unchanged, "deleted_at": None},
                {
                    "$set": {"text": text, "tokens": reads.words(text), "edited_at": now},
                    "$push": {"edits": {"text": current["text"], "replaced_at": now}},
                },
            )
            if changed.modified_count:
                return self._log(current["conversation"], "message.edited", actor_id, message_id)
            if self._db.messages.count_documents({"_id": current["_id"], "deleted_at": {"$ne": None}}, limit=1):
                raise AlreadyDone  # deleted while we edited: a tombstone takes no text
        raise RuntimeError(f"message {message_id} kept changing; edit gave up")

    def delete(self, message_id, actor_id):
        tombstone = {
            "text": "",
            "tokens": [],
            "mentions": [],
            "mention_all": False,
            "deleted_at": _now(),
            "pinned_at": None,
            "pinned_by": None,
            "edits": [],
            "reactions": [],
        }
        document = self._change(message_id, {"$set": tombstone}, {"deleted_at": None})
        if document is None:
            raise AlreadyDone  # deleted already
        return self._log(document["conversation"], "message.deleted", actor_id, message_id)

    def add_reaction(self, message_id, user_id, emoji):
        reaction = {"emoji": emoji, "user_id": user_id}
        # $addToSet compares whole elements, so each element keeps exactly these two fields.
        before = self._change(message_id, {"$addToSet": {"reactions": reaction}}, {"deleted_at": None}, before=True)
        if before is None or reaction in before.get("reactions", ()):
            raise AlreadyDone
        return self._log(before["conversation"], "reaction.added", user_id, message_id, reaction)

    def remove_reaction(self, message_id, user_id, emoji):
        reaction = {"emoji": emoji, "user_id": user_id}
        before = self._change(message_id, {"$pull": {"reactions": reaction}}, before=True)
        if reaction not in before.get("reactions", ()):
            raise AlreadyDone
        return self._log(before["conversation"], "reaction.removed", user_id, message_id, reaction)

    def set_pinned(self, message_id, pinned, actor_id):
        if pinned:
            state, change = {"pinned_at": None}, {"pinned_at": _now(), "pinned_by": actor_id}
        else:
            state, change = {"pinned_at": {"$ne": None}}, {"pinned_at": None, "pinned_by": None}
        document = self._change(message_id, {"$set": change}, {**state, "deleted_at": None})
        if document is None:
            raise AlreadyDone  # already in that state, or a tombstone
        return self._log(document["conversation"], "message.pinned", actor_id, message_id, {"pinned": pinned})

    def purge_tombstones(self, older_than, chunk=1000):
        # The events stay: the log keeps every seq, and events_after gives them without a message.
        purged = 0
        while True:
            old = {"deleted_at": {"$lt": older_than}}
            ids = [d["_id"] for d in self._db.messages.find(old, {"_id": 1}, limit=chunk)]
            if not ids:
                return purged
            purged += self._db.messages.delete_many({"_id": {"$in": ids}, **old}).deleted_count

    # --- reads; the a* ones run the same plans on the async driver ---

    def find_by_client_id(self, conversation_id, sender_id, client_id):
        return self._read(reads.find_by_client_id(conversation_id, sender_id, client_id))

    def get(self, message_id):
        return self._read(reads.get(message_id))

    def history(self, message_id):
        return self._read(reads.history(message_id))

    def page(self, conversation_id, *, before=None, after=None, limit, hidden_senders=frozenset()):
        return self._read(
            reads.page(conversation_id, before=before, after=after, limit=limit, hidden_senders=hidden_senders)
        )

    async def apage(self, conversation_id, *, before=None, after=None, limit, hidden_senders=frozenset()):
        plan = reads.page(conversation_id, before=before, after=after, limit=limit, hidden_senders=hidden_senders)
        return await self._aread(plan)

    def pinned(self, conversation_id, hidden_senders=frozenset()):
        return self._read(reads.pinned(conversation_id, hidden_senders))

    def events_after(self, conversation_id, seq, limit):
        return self._read(reads.events_after(conversation_id, seq, limit, now=_now(), grace=self.settle_time))

    async def aevents_after(self, conversation_id, seq, limit):
        return await self._aread(reads.events_after(conversation_id, seq, limit, now=_now(), grace=self.settle_time))

    def latest_seq(self, conversation_id):
        return self._read(reads.latest_seq(conversation_id))

    async def alatest_seq(self, conversation_id):
        return await self._aread(reads.latest_seq(conversation_id))

    def last_messages(self, conversation_ids, hidden_senders):
        return self._read(reads.last_messages(conversation_ids, hidden_senders))

    def unread_counts(self, user_id, read_marks, hidden_senders):
        return self._read(reads.unread_counts(user_id, read_marks, hidden_senders))

    def search(self, conversation_ids, query, limit, hidden_senders):
        return self._read(reads.search(conversation_ids, query, limit, hidden_senders))

    # --- copying between stores ---

    def counters(self, after, limit):
        return self._read(reads.counters(after, limit))

    def export(self, conversation_id, after_seq, upto_seq):
        return self._read(reads.export(conversation_id, after_seq, upto_seq))

    def load(self, chunk):
        self._ready()
        conversation_id = chunk.conversation_id
        if chunk.messages:
            documents = [message_document(m, chunk.histories.get(m.id, ())) for m in chunk.messages]
            self._db.messages.bulk_write([ReplaceOne({"_id": d["_id"]}, d, upsert=True) for d in documents])
        if chunk.events:
            events = [
                event_document(conversation_id, e.seq, e.type, e.actor_id, e.created_at, e.message_id, e.data)
                for e in chunk.events
            ]
            self._db.events.bulk_write(
                [ReplaceOne({"conversation": e["conversation"], "seq": e["seq"]}, e, upsert=True) for e in events]
            )
        counter = {"_id": reads.key(conversation_id)}
        self._db.counters.update_one(counter, {"$max": {"seq": chunk.last_seq}}, upsert=True)
