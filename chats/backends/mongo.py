"""The MongoDB message store (pymongo), for production; FerretDB 1.24 stands in for MongoDB in tests.

Collections
  messages  one document per message: {_id: message id, conversation, seq, span, sender, client_id,
            dedupe ("conversation:sender:client_id"), text, tokens (search words), parent, root (the
            thread root it replies in, or null), mentions,
            mention_all, attachments (what the files app said of each file), previews (link previews,
            null until looked for), created_at, edited_at,
            deleted_at, pinned_at, pinned_by,
            reactions: [{emoji, user_id}] in the order given, edits: [{text, replaced_at}] oldest first,
            v (the seq of its last change), tx (that change's token), prev and prev_edits (its state
            before that change)}. Reactions are an array, not an object keyed by emoji: an emoji is any
            32 characters, and a key may not hold "." or start with "$".
  events    the conversation log: {_id: "conversation:seq", conversation, seq, span, type, actor,
            message, mseq (the message's own seq), data, tx, created_at}
Ids (message, conversation, parent) are stored as strings: see mongo_reads.key. `span` is seq // SPAN,
what the hot reads ask by (see mongo_reads).

Seqs come from the relational DB, as in the SQL store: the MongoSeqCounter row of the conversation,
raised inside the action's transaction (its row lock queues the conversation's writers until the
commit; a rollback gives the seq back). The documents are written before that transaction commits,
and readers show a conversation only up to its committed counter (mongo_reads). So:
- A seq is visible once its transaction commits, and then every seq below it already has its event
  and message: the log has no holes, and `events?after=`, replay, gap fill and live push (which
  goes out after the commit) agree on every seq. Nothing waits and nothing is skipped.
- A rolled-back transaction leaves documents above the committed counter (orphans): no reader ever
  sees them, and its seqs are handed out again. The writer that gets such a seq finds the orphan
  event under the same `_id` and takes it back first (`_reclaim`): an orphan message is deleted, a
  change is reverted to `prev`. The event is written before the message change it stands for, so
  an orphan change always has its orphan event, and is reclaimed before its seq can commit again.
  `discard` deletes a rolled-back send's message at once (chats.actions.do_send_message calls it).
- A change to a message (edit, delete, reaction, pin) holds the conversation's counter lock while it
  reads and replaces the document: two changes of one message never interleave, also on FerretDB,
  whose updates are read-change-write without a lock. Until the change commits, readers see `prev`.
- A first write to a conversation that still has the counter of the earlier, transaction-free
  design (the `counters` collection) starts above it (`manage.py mongo_indexes` seeds them all).

Why not a committed watermark kept in MongoDB: without multi-document transactions (FerretDB has
none; MongoDB needs a replica set) the watermark is one more write per send that can be lost
between the documents and the outbox commit, and a rollback of the relational side would still
need its own undo. The relational counter makes the commit of the action the commit of the seq.

Costs: a send is one UPDATE ... RETURNING and two inserts (no query), a change one read, one
replace and one insert, all under the counter lock; a read adds one indexed relational query.
Left as they are (documented in the README): search, unread counts and last-message previews filter
on the newest state of a message, so a change in flight (or rolled back and not yet reclaimed by the
conversation's next write) can show there.
"""

import asyncio
import threading
import uuid
import weakref
from datetime import UTC

from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from pymongo import AsyncMongoClient, IndexModel, MongoClient, ReplaceOne
from pymongo.errors import ConfigurationError, DuplicateKeyError

from chats.backends import mongo_docs
from chats.backends import mongo_reads as reads
from chats.backends.base import MessageStore
from chats.backends.counters import claim_next
from chats.backends.mongo_docs import STATE, event_document, event_id, message_document, reverted
from chats.backends.types import AlreadyDone, Message
from chats.models import MongoSeqCounter

INDEXES = {
    "messages": [
        IndexModel([("conversation", 1), ("seq", 1)], unique=True, name="conversation_seq"),
        IndexModel([("dedupe", 1)], unique=True, name="dedupe"),
        IndexModel([("conversation", 1), ("sender", 1)], name="conversation_sender"),
        IndexModel([("tokens", 1)], name="tokens"),
        IndexModel([("root", 1), ("seq", 1)], name="root_seq"),
        IndexModel([("conversation", 1), ("root", 1), ("seq", 1)], name="conversation_root_seq"),  # top-level pages
    ],
    "events": [IndexModel([("conversation", 1), ("seq", 1)], unique=True, name="conversation_seq")],
}

CLIENT_OPTIONS = {"uuidRepresentation": "standard", "tz_aware": True, "tzinfo": UTC}
ATTEMPTS = 20


def _missing(message_id):
    return LookupError(f"no message {message_id}")


class _Duplicate(Exception):
    def __init__(self, message):
        self.message = message


class MongoMessageStore(MessageStore):
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

    def seed_counters(self):
        """Counters for the conversations written before seqs came from the relational DB: their
        logs become readable without waiting for a first write. Returns how many were made."""
        made = 0
        for legacy in self._db.counters.find({}):
            if not MongoSeqCounter.objects.filter(pk=uuid.UUID(legacy["_id"])).exists():
                _, created = MongoSeqCounter.objects.get_or_create(
                    pk=uuid.UUID(legacy["_id"]), defaults={"last_seq": self._legacy_top(legacy["_id"])}
                )
                made += created
        return made

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

    # --- seqs (see the module docstring) ---

    def _claim(self, conversation):
        """The conversation's next seq, from its counter row, in the caller's transaction."""
        return claim_next(MongoSeqCounter, uuid.UUID(conversation), lambda: self._legacy_top(conversation) + 1)

    def _legacy_top(self, conversation):
        # Only a conversation with an old counter document has a log from before: a new one starts
        # at 1 even if a rolled-back first transaction left orphans (they are reclaimed as usual).
        legacy = self._db.counters.find_one({"_id": conversation})
        if legacy is None:
            return 0
        newest = self._db.events.find_one({"conversation": conversation}, sort=[("seq", -1)])
        return max(legacy["seq"], newest["seq"] if newest else 0)

    def _write_event(self, document):
        try:
            self._db.events.insert_one(document)
        except DuplicateKeyError:
            # The seq was handed out before to a transaction that rolled back: take its writes back.
            self._reclaim(document["conversation"], document["seq"])
            self._db.events.replace_one({"_id": document["_id"]}, document, upsert=True)

    def _reclaim(self, conversation, seq):
        orphan = self._db.events.find_one({"_id": event_id(conversation, seq)})
        if not orphan or not orphan.get("message") or not orphan.get("tx"):
            return
        message = self._db.messages.find_one({"_id": orphan["message"], "tx": orphan["tx"]})
        if message is None:
            return  # never written, or taken back by discard
        if message["seq"] == seq:
            self._db.messages.delete_one({"_id": message["_id"], "tx": orphan["tx"]})
        elif message.get("prev"):
            self._db.messages.replace_one({"_id": message["_id"], "tx": orphan["tx"]}, reverted(message))

    # --- writes ---

    def send(
        self,
        *,
        conversation_id,
        sender_id,
        client_id,
        text,
        parent_id,
        mentions,
        mention_all,
        attachments=(),
        thread_root_id=None,
    ):
        self._ready()
        conversation, now, tx = reads.key(conversation_id), mongo_docs.now(), uuid.uuid4().hex
        try:
            with transaction.atomic():
                seq = self._claim(conversation)
                message = Message(
                    id=uuid.uuid4(),
                    conversation_id=conversation_id,
                    seq=seq,
                    sender_id=sender_id,
                    client_id=client_id,
                    text=text,
                    created_at=now,
                    parent_id=parent_id,
                    mentions=list(mentions),
                    mention_all=mention_all,
                    attachments=list(attachments),
                    thread_root_id=thread_root_id,
                )
                # The event first: an orphan message then always has an orphan event to be found by.
                event = event_document(conversation, seq, "message.created", sender_id, now, message.id)
                self._write_event({**event, "tx": tx, "mseq": seq})
                self._write_message({**message_document(message), "tx": tx})
        except _Duplicate as duplicate:  # the rollback gave our seq back
            return duplicate.message, False
        return message, True

    def _write_message(self, document):
        for _ in range(2):
            try:
                self._db.messages.insert_one(document)
                return
            except DuplicateKeyError:
                existing = self._db.messages.find_one({"dedupe": document["dedupe"]})
                if existing and existing["seq"] < document["seq"]:
                    # A send with this client_id got in first (holding the counter lock, it has
                    # committed, or it is our own transaction's): answer with it.
                    self._db.events.delete_one({"_id": event_id(document["conversation"], document["seq"])})
                    raise _Duplicate(reads.to_message(reads.committed(existing, document["seq"] - 1))) from None
                # Holding the lock at this seq, anything at or above it is an orphan of a rollback.
                self._db.messages.delete_many(
                    {"conversation": document["conversation"], "seq": {"$gte": document["seq"]}}
                )
        raise RuntimeError(f"message {document['_id']} could not be written")

    def discard(self, message):
        # The message only: its event stays an orphan until its seq is handed out again. FerretDB
        # deletes what a filter matched by _id after reading it, so deleting the event by
        # (_id, message) could take the event that the seq's next writer has just put in its place.
        self._db.messages.delete_one({"_id": reads.key(message.id), "seq": message.seq})

    def append_event(self, conversation_id, type, actor_id, data):
        self._ready()
        conversation = reads.key(conversation_id)
        with transaction.atomic():
            document = event_document(
                conversation, self._claim(conversation), type, actor_id, mongo_docs.now(), data=data
            )
            self._write_event(document)
        return reads.to_event(document, None)

    def _change(self, message_id, type, actor_id, apply, data=None):
        """Change one message under its conversation's counter lock and log `type`. `apply(state, now)`
        gives the fields to set, or raises AlreadyDone (then no seq is used)."""
        self._ready()
        current = self._db.messages.find_one({"_id": reads.key(message_id)})
        if current is None:
            raise _missing(message_id)
        conversation, now, tx, event = current["conversation"], mongo_docs.now(), uuid.uuid4().hex, None
        with transaction.atomic():
            seq = self._claim(conversation)
            for _ in range(ATTEMPTS):
                # Anything of this message above the committed seqs is an orphan: change what committed.
                state = reads.committed(current, seq - 1)
                if state is None:
                    raise _missing(message_id)
                try:
                    fields = apply(state, now)
                except AlreadyDone:
                    if event:
                        self._db.events.delete_one({"_id": event["_id"], "tx": tx})
                    raise
                if event is None:
                    event = event_document(conversation, seq, type, actor_id, now, message_id, data)
                    self._write_event({**event, "tx": tx, "mseq": current["seq"]})
                changed = {**state, **fields, "v": seq, "tx": tx}
                changed.update(prev={k: state.get(k) for k in STATE}, prev_edits=state.get("edits", []))
                changed["tokens"] = [] if changed["deleted_at"] else reads.words(changed["text"])
                # The read above took no lock: a change that committed meanwhile makes us read again.
                unchanged = {"_id": current["_id"], "v": current.get("v"), "tx": current.get("tx")}
                if self._db.messages.replace_one(unchanged, changed).matched_count:
                    return reads.to_event(event, reads.to_message(changed)), (conversation, seq, tx)
                current = self._db.messages.find_one({"_id": current["_id"]})
                if current is None:
                    raise _missing(message_id)
        raise RuntimeError(f"message {message_id} kept changing; {type} gave up")

    def edit(self, message_id, text, actor_id):
        def apply(state, now):
            if state["deleted_at"]:
                raise AlreadyDone  # a tombstone takes no text
            history = [*state.get("edits", []), {"text": state["text"], "replaced_at": now}]
            return {"text": text, "edited_at": now, "edits": history}

        return self._change(message_id, "message.edited", actor_id, apply)[0]

    def delete(self, message_id, actor_id):
        def apply(state, now):
            if state["deleted_at"]:
                raise AlreadyDone
            return {
                "text": "",
                "mentions": [],
                "mention_all": False,
                "attachments": [],
                "previews": [],
                "deleted_at": now,
                "pinned_at": None,
                "pinned_by": None,
                "edits": [],
                "reactions": [],
            }

        event, change = self._change(message_id, "message.deleted", actor_id, apply)
        # Until it commits the old text waits in `prev` (readers see it); then it goes for good.
        transaction.on_commit(lambda: self._forget(*change, event.message_id))
        return event

    def _forget(self, conversation, seq, tx, message_id):
        with transaction.atomic():
            # Under the counter lock, as every change of the message is: FerretDB updates without one.
            list(MongoSeqCounter.objects.select_for_update().filter(pk=uuid.UUID(conversation)))
            self._db.messages.update_one(
                {"_id": reads.key(message_id), "v": seq, "tx": tx}, {"$set": {"prev": None, "prev_edits": None}}
            )

    def add_reaction(self, message_id, user_id, emoji):
        reaction = {"emoji": emoji, "user_id": user_id}

        def apply(state, now):
            if state["deleted_at"] or reaction in state["reactions"]:
                raise AlreadyDone
            return {"reactions": [*state["reactions"], reaction]}

        return self._change(message_id, "reaction.added", user_id, apply, reaction)[0]

    def remove_reaction(self, message_id, user_id, emoji):
        reaction = {"emoji": emoji, "user_id": user_id}

        def apply(state, now):
            if reaction not in state["reactions"]:
                raise AlreadyDone
            return {"reactions": [r for r in state["reactions"] if r != reaction]}

        return self._change(message_id, "reaction.removed", user_id, apply, reaction)[0]

    def set_pinned(self, message_id, pinned, actor_id):
        def apply(state, now):
            if state["deleted_at"] or (state["pinned_at"] is not None) == pinned:
                raise AlreadyDone  # already in that state, or a tombstone
            return {"pinned_at": now, "pinned_by": actor_id} if pinned else {"pinned_at": None, "pinned_by": None}

        return self._change(message_id, "message.pinned", actor_id, apply, {"pinned": pinned})[0]

    def set_previews(self, message_id, previews, actor_id, *, first):
        def apply(state, now):
            current = state.get("previews")
            if state["deleted_at"] or (first and current is not None) or current == previews:
                raise AlreadyDone
            return {"previews": list(previews)}

        return self._change(message_id, "message.previewed", actor_id, apply)[0]

    def expired(self, conversation_id, older_than, limit):
        return self._read(reads.expired(conversation_id, older_than, limit))

    def purge_tombstones(self, older_than, chunk=1000):
        # The events stay: the log keeps every seq, and events_after gives them without a message.
        # A delete that has not committed (or never will) is not purged.
        purged = 0
        while True:
            old = {"deleted_at": {"$lt": older_than}}
            docs = list(self._db.messages.find(old, {"conversation": 1, "seq": 1, "v": 1}, limit=chunk))
            tops = reads.committed_seqs({d["conversation"] for d in docs})
            done = [d for d in docs if d.get("v", d["seq"]) <= tops.get(d["conversation"], 0)]
            if not done:
                return purged
            # Only these: a committed tombstone takes no more changes, so it cannot be taken back.
            purged += self._db.messages.delete_many({"_id": {"$in": [d["_id"] for d in done]}, **old}).deleted_count
            if len(done) < len(docs) and len(docs) < chunk:
                return purged

    # --- reads; the a* ones run the same plans on the async driver ---

    def find_by_client_id(self, conversation_id, sender_id, client_id):
        return self._read(reads.find_by_client_id(conversation_id, sender_id, client_id))

    def get(self, message_id):
        return self._read(reads.get(message_id))

    def get_many(self, message_ids):
        return self._read(reads.get_many(message_ids))

    def history(self, message_id):
        return self._read(reads.history(message_id))

    def page(self, conversation_id, **kwargs):
        return self._read(reads.page(conversation_id, **kwargs))

    async def apage(self, conversation_id, **kwargs):
        return await self._aread(reads.page(conversation_id, **kwargs))

    def thread_replies(self, conversation_id, root_id, *, before=None, after=None, limit, hidden_senders=frozenset()):
        plan = reads.thread_replies(
            conversation_id, root_id, before=before, after=after, limit=limit, hidden_senders=hidden_senders
        )
        return self._read(plan)

    def thread_unread_counts(self, user_id, read_marks, hidden_senders):
        return self._read(reads.thread_unread_counts(user_id, read_marks, hidden_senders))

    def pinned(self, conversation_id, hidden_senders=frozenset()):
        return self._read(reads.pinned(conversation_id, hidden_senders))

    def events_after(self, conversation_id, seq, limit):
        return self._read(reads.events_after(conversation_id, seq, limit))

    async def aevents_after(self, conversation_id, seq, limit):
        return await self._aread(reads.events_after(conversation_id, seq, limit))

    def latest_seq(self, conversation_id):
        return self._read(reads.latest_seq(conversation_id))

    async def alatest_seq(self, conversation_id):
        return await self._aread(reads.latest_seq(conversation_id))

    def latest_seqs(self, conversation_ids):
        return self._read(reads.latest_seqs(conversation_ids))

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
            seqs = {m.id: m.seq for m in chunk.messages}
            events = []
            for e in chunk.events:
                event = event_document(conversation_id, e.seq, e.type, e.actor_id, e.created_at, e.message_id, e.data)
                if e.message_id in seqs:
                    event["mseq"] = seqs[e.message_id]
                del event["_id"]  # a copy keeps the _id its (conversation, seq) already has
                events.append(event)
            self._db.events.bulk_write(
                [ReplaceOne({"conversation": e["conversation"], "seq": e["seq"]}, e, upsert=True) for e in events]
            )
        with transaction.atomic():
            MongoSeqCounter.objects.get_or_create(pk=conversation_id)
            MongoSeqCounter.objects.filter(pk=conversation_id, last_seq__lt=chunk.last_seq).update(
                last_seq=chunk.last_seq
            )
