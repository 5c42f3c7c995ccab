"""The reads of the MongoDB message store, written once for its sync and its async methods.

A read is a plan: a generator that yields the queries it needs (`Find`, `Aggregate`), is sent each
query's documents back, and returns dataclasses. `MongoMessageStore` runs a plan on `MongoClient`
for its sync methods and on `AsyncMongoClient` for its `a*` methods, so no query and no mapping from
document to dataclass exists twice. A plan does no I/O itself and never looks at the clock: the
caller passes the time in.

Only what FerretDB 1.24 runs is used here: find with sort and limit, `$in`, `$or`, `$all`, `$nin`
of plain values, and `$match` + `$group` with `$sum`. FerretDB has no `$max`/`$first` accumulator,
which shapes `last_messages`.
"""

import re
from dataclasses import dataclass, field
from uuid import UUID

from chats.backends.types import Chunk, Edit, Event, Message

# Everything a Message needs: the search words and the edit history stay on the server.
MESSAGE_FIELDS = {"tokens": 0, "edits": 0, "dedupe": 0}

# How many seqs below a conversation's last seq `last_messages` looks at first. The newest message
# is nearly always among the newest events; when it is not, the next look is 8 times wider.
LAST_MESSAGE_WINDOW = 64

_WORD = re.compile(r"\w+")


@dataclass
class Find:
    collection: str
    filter: dict
    sort: list = field(default_factory=list)
    limit: int = 0
    projection: dict | None = None

    def _args(self):
        return {"filter": self.filter, "projection": self.projection, "sort": self.sort or None, "limit": self.limit}

    def run(self, db):
        return list(db[self.collection].find(**self._args()))

    async def arun(self, db):
        return await db[self.collection].find(**self._args()).to_list()


@dataclass
class Aggregate:
    collection: str
    pipeline: list

    def run(self, db):
        return list(db[self.collection].aggregate(self.pipeline))

    async def arun(self, db):
        return await (await db[self.collection].aggregate(self.pipeline)).to_list()


def run(plan, db):
    try:
        query = next(plan)
        while True:
            query = plan.send(query.run(db))
    except StopIteration as done:
        return done.value


async def arun(plan, db):
    try:
        query = next(plan)
        while True:
            query = plan.send(await query.arun(db))
    except StopIteration as done:
        return done.value


# --- documents <-> dataclasses ---


def words(text):
    """Search words: lower-cased runs of letters and digits, each once. Whole words match, as in
    PostgreSQL's 'simple' configuration that the SQL store searches with."""
    return list(dict.fromkeys(_WORD.findall(text.casefold())))


def key(id):
    """How an id is stored: as its string. FerretDB turns a filter on a string into SQL, but filters
    binary UUIDs in its own process after reading every document (get() took 0.3 s at 1,600 messages)."""
    return None if id is None else str(id)


def _uuid(stored):
    return None if stored is None else UUID(stored)


def dedupe_key(conversation_id, sender_id, client_id):
    return f"{conversation_id}:{sender_id}:{client_id}"


def to_message(doc):
    reactions = {}
    for reaction in doc.get("reactions", ()):
        reactions.setdefault(reaction["emoji"], []).append(reaction["user_id"])
    return Message(
        id=UUID(doc["_id"]),
        conversation_id=UUID(doc["conversation"]),
        seq=doc["seq"],
        sender_id=doc["sender"],
        client_id=doc["client_id"],
        text=doc["text"],
        created_at=doc["created_at"],
        parent_id=_uuid(doc.get("parent")),
        mentions=list(doc.get("mentions", ())),
        mention_all=doc.get("mention_all", False),
        edited_at=doc.get("edited_at"),
        deleted_at=doc.get("deleted_at"),
        pinned_at=doc.get("pinned_at"),
        pinned_by_id=doc.get("pinned_by"),
        reactions=reactions,
    )


def to_event(doc, message):
    return Event(
        conversation_id=UUID(doc["conversation"]),
        seq=doc["seq"],
        type=doc["type"],
        actor_id=doc.get("actor"),
        created_at=doc["created_at"],
        message_id=_uuid(doc.get("message")),
        data=doc.get("data") or {},
        message=message,
    )


def to_history(doc):
    return [Edit(e["text"], e["replaced_at"]) for e in (doc or {}).get("edits", ())]


def _not_from(hidden_senders):
    return {"sender": {"$nin": sorted(hidden_senders)}} if hidden_senders else {}


# --- plans ---


def one_message(filter):
    docs = yield Find("messages", filter, limit=1, projection=MESSAGE_FIELDS)
    return to_message(docs[0]) if docs else None


def get(message_id):
    return one_message({"_id": key(message_id)})


def find_by_client_id(conversation_id, sender_id, client_id):
    return one_message({"dedupe": dedupe_key(conversation_id, sender_id, client_id)})


def history(message_id):
    docs = yield Find("messages", {"_id": key(message_id)}, limit=1, projection={"edits": 1})
    return to_history(docs[0] if docs else None)


def page(conversation_id, *, before=None, after=None, limit, hidden_senders=frozenset()):
    filter = {"conversation": key(conversation_id), **_not_from(hidden_senders)}
    if after is not None:
        filter["seq"] = {"$gt": after}
        docs = yield Find("messages", filter, sort=[("seq", 1)], limit=limit, projection=MESSAGE_FIELDS)
        return [to_message(d) for d in docs]
    if before is not None:
        filter["seq"] = {"$lt": before}
    docs = yield Find("messages", filter, sort=[("seq", -1)], limit=limit, projection=MESSAGE_FIELDS)
    return [to_message(d) for d in reversed(docs)]


def pinned(conversation_id, hidden_senders=frozenset()):
    filter = {"conversation": key(conversation_id), "pinned_at": {"$ne": None}, **_not_from(hidden_senders)}
    docs = yield Find("messages", filter, sort=[("pinned_at", -1)], projection=MESSAGE_FIELDS)
    return [to_message(d) for d in docs]


def latest_seq(conversation_id):
    # The counter may trail the log by a concurrent write (see mongo.py): look above it too.
    counters = yield Find("counters", {"_id": key(conversation_id)}, limit=1)
    counted = counters[0]["seq"] if counters else 0
    above = {"conversation": key(conversation_id), "seq": {"$gt": counted}}
    newer = yield Find("events", above, sort=[("seq", -1)], limit=1, projection={"seq": 1})
    return newer[0]["seq"] if newer else counted


def events_after(conversation_id, seq, limit, *, now, grace):
    after = {"conversation": key(conversation_id), "seq": {"$gt": seq}}
    docs = yield Find("events", after, sort=[("seq", 1)], limit=limit)
    ids = list({d["message"] for d in docs if d.get("message")})
    messages = (yield Find("messages", {"_id": {"$in": ids}}, projection=MESSAGE_FIELDS)) if ids else []
    by_id = {m["_id"]: to_message(m) for m in messages}
    return [to_event(d, by_id.get(d.get("message"))) for d in settled(docs, by_id, now - grace)]


def settled(docs, messages, settled_before):
    """The events a reader may take now. A send inserts its message.created event a moment before the
    message, so a fresh one whose message is not there yet is still being written: stop before it,
    or the reader would go past it without the message and never ask again. An older one, or one that
    a later event changes, lost its message for good (purged, or its writer died)."""
    last_change = {doc.get("message"): i for i, doc in enumerate(docs)}
    for i, doc in enumerate(docs):
        if doc["type"] != "message.created" or doc["message"] in messages or doc["created_at"] <= settled_before:
            continue
        if last_change[doc["message"]] == i:
            return docs[:i]
    return docs


def last_messages(conversation_ids, hidden_senders):
    """Three round trips as a rule: the counters, one look at the newest seqs of every conversation
    at once, and the winning messages. A conversation whose newest events hold no visible message
    (a long run of joins, reactions or deletes) is looked at again, 8 times wider each time."""
    if not conversation_ids:
        return {}
    counters = yield Find("counters", {"_id": {"$in": [key(c) for c in conversation_ids]}})
    unsearched = {d["_id"]: d["seq"] for d in counters}  # seqs at or below this are not looked at yet
    newest, span, first = {}, LAST_MESSAGE_WINDOW, True
    while unsearched:
        # The first look has no upper bound: a counter may trail the newest seq (see mongo.py).
        windows = [
            {"conversation": c, "seq": {"$gt": top - span} if first else {"$gt": top - span, "$lte": top}}
            for c, top in unsearched.items()
        ]
        filter = {"$or": windows, "deleted_at": None, **_not_from(hidden_senders)}
        for doc in (yield Find("messages", filter, projection={"conversation": 1, "seq": 1})):
            if doc["seq"] > newest.get(doc["conversation"], (0, None))[0]:
                newest[doc["conversation"]] = (doc["seq"], doc["_id"])
        unsearched = {c: top - span for c, top in unsearched.items() if c not in newest and top > span}
        span, first = span * 8, False
    if not newest:
        return {}
    docs = yield Find("messages", {"_id": {"$in": [i for _, i in newest.values()]}}, projection=MESSAGE_FIELDS)
    return {m.conversation_id: m for m in map(to_message, docs)}


def unread_counts(user_id, read_marks, hidden_senders):
    if not read_marks:
        return {}
    after_mark = [{"conversation": key(c), "seq": {"$gt": last_read}} for c, last_read in read_marks.items()]
    match = {"$or": after_mark, "deleted_at": None, "sender": {"$nin": sorted({user_id, *hidden_senders})}}
    rows = yield Aggregate("messages", [{"$match": match}, {"$group": {"_id": "$conversation", "n": {"$sum": 1}}}])
    return {UUID(row["_id"]): row["n"] for row in rows if row["n"]}


def search(conversation_ids, query, limit, hidden_senders):
    wanted = words(query)
    if not wanted or not conversation_ids:
        return []
    filter = {
        "conversation": {"$in": [key(c) for c in conversation_ids]},
        "tokens": {"$all": wanted},
        "deleted_at": None,
        **_not_from(hidden_senders),
    }
    docs = yield Find("messages", filter, sort=[("created_at", -1)], limit=limit, projection=MESSAGE_FIELDS)
    return [to_message(d) for d in docs]


def counters(after, limit):
    filter = {"_id": {"$gt": key(after)}} if after else {}
    docs = yield Find("counters", filter, sort=[("_id", 1)], limit=limit)
    return [(UUID(d["_id"]), d["seq"]) for d in docs]


def export(conversation_id, after_seq, upto_seq):
    """One conversation's seqs in (after_seq, upto_seq], and the messages their events touched."""
    in_range = {"conversation": key(conversation_id), "seq": {"$gt": after_seq, "$lte": upto_seq}}
    events = yield Find("events", in_range, sort=[("seq", 1)])
    counter = yield from latest_seq(conversation_id)
    touched = list({e["message"] for e in events if e.get("message")})
    filter = {"$or": [in_range, {"_id": {"$in": touched}}]} if touched else in_range
    docs = yield Find("messages", filter, sort=[("seq", 1)])
    return Chunk(
        conversation_id=conversation_id,
        messages=[to_message(d) for d in docs],
        histories={UUID(d["_id"]): to_history(d) for d in docs if d.get("edits")},
        events=[to_event(e, None) for e in events],
        last_seq=min(upto_seq, counter),
    )
