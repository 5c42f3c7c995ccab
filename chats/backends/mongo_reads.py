"""The reads of the MongoDB message store, written once for its sync and its async methods.

A read is a plan: a generator that yields the queries it needs (`Find`, `Aggregate`, `Tops`), is
sent each query's answer back, and returns dataclasses. `MongoMessageStore` runs a plan on
`MongoClient` for its sync methods and on `AsyncMongoClient` for its `a*` methods, so no query and no
mapping from document to dataclass exists twice. A plan does no I/O itself.

What a reader may see. Every read first asks the relational counter for the conversation's committed
seq (`Tops`, one indexed query for any number of conversations) and shows the log only up to it: a
document above it belongs to a transaction that has not committed, or never will (see mongo.py). A
message whose last change is above it is shown as it was before that change (`committed`).

FerretDB 1.24 pushes only top-level equalities down to PostgreSQL (and those as a scan, since its
btree indexes do not serve the `@>` it filters with); ranges, `$in`, `$or` and sorts run in its own
process on every document the equalities let through. So the reads on the hot paths (events_after,
page) ask one `span` (SPAN seqs of one conversation) at a time by equality: FerretDB moves at most
SPAN documents per query, and MongoDB serves the same filter from the (conversation, seq) index.
Aggregations use `$match` + `$group` with `$sum` only: FerretDB has no `$max`/`$first` accumulator.
"""

import re
from dataclasses import dataclass, field
from uuid import UUID

from asgiref.sync import sync_to_async

from chats.backends.types import Chunk, Edit, Event, Message

# Everything a Message needs: the search words, edit histories and change bookkeeping stay on the server.
MESSAGE_FIELDS = {"tokens": 0, "edits": 0, "dedupe": 0, "prev_edits": 0}

# Seqs per span: the unit that events_after and page read by equality (see the module docstring),
# and per tail, the finer one for the few newest events that a reader who keeps up asks for.
SPAN = 256
TAIL = 16

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


def committed_seqs(conversation_keys):
    """{conversation key: committed seq} from the relational counter; absent conversations have none.
    Inside a transaction that took seqs, its own are included: a writer reads its own writes."""
    from chats.models import MongoSeqCounter

    rows = MongoSeqCounter.objects.filter(pk__in=[UUID(c) for c in conversation_keys])
    return {str(pk): seq for pk, seq in rows.values_list("pk", "last_seq")}


def counter_page(after, limit):
    from chats.models import MongoSeqCounter

    rows = MongoSeqCounter.objects.filter(pk__gt=after) if after else MongoSeqCounter.objects.all()
    return list(rows.order_by("pk").values_list("pk", "last_seq")[:limit])


@dataclass
class Relational:
    """A read of the relational counter table, in a plan among the Mongo queries."""

    read: object
    args: tuple

    def run(self, db):
        return self.read(*self.args)

    async def arun(self, db):
        return await sync_to_async(self.read)(*self.args)


def Tops(conversation_keys):
    """The committed seq of each of these conversations (by key)."""
    return Relational(committed_seqs, (list(conversation_keys),))


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


def span(seq):
    return seq // SPAN


def tail(seq):
    return seq // TAIL


def _uuid(stored):
    return None if stored is None else UUID(stored)


def dedupe_key(conversation_id, sender_id, client_id):
    return f"{conversation_id}:{sender_id}:{client_id}"


def committed(doc, top):
    """A message document as readers may see it when its conversation has committed seqs up to `top`:
    None if the message itself is above it; as it was before its last change if that change is."""
    if doc is None or doc["seq"] > top:
        return None
    if doc.get("v", doc["seq"]) > top and doc.get("prev"):
        doc = {**doc, **doc["prev"]}
        if "edits" in doc or "prev_edits" in doc:
            doc["edits"] = doc.get("prev_edits") or []
    return doc


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
        attachments=list(doc.get("attachments", ())),
        thread_root_id=_uuid(doc.get("root")),
        previews=doc.get("previews"),
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


def _visible(docs, tops):
    """The committed view of message documents of any conversations, those above their top dropped."""
    seen = (committed(d, tops.get(d["conversation"], 0)) for d in docs)
    return [d for d in seen if d is not None]


# --- plans ---


def one_message(filter, projection=MESSAGE_FIELDS):
    docs = yield Find("messages", filter, limit=1, projection=projection)
    if not docs:
        return None
    tops = yield Tops([docs[0]["conversation"]])
    return committed(docs[0], tops.get(docs[0]["conversation"], 0))


def get(message_id):
    doc = yield from one_message({"_id": key(message_id)})
    return to_message(doc) if doc else None


def get_many(message_ids):
    keys = sorted({key(i) for i in message_ids})
    if not keys:
        return []
    docs = yield Find("messages", {"_id": {"$in": keys}}, projection=MESSAGE_FIELDS)
    tops = (yield Tops({d["conversation"] for d in docs})) if docs else {}
    return [to_message(d) for d in _visible(docs, tops)]


def find_by_client_id(conversation_id, sender_id, client_id):
    doc = yield from one_message({"dedupe": dedupe_key(conversation_id, sender_id, client_id)})
    return to_message(doc) if doc else None


def history(message_id):
    fields = {"conversation": 1, "seq": 1, "v": 1, "prev": 1, "edits": 1, "prev_edits": 1}
    doc = yield from one_message({"_id": key(message_id)}, fields)
    return to_history(doc)


def _spans(conversation, lo, hi, ascending, extra=None, unit=None):
    """Filters for the seqs lo..hi of one conversation, a span (or a tail) at a time, in seq order."""
    name, size = unit or ("span", SPAN)
    order = range(lo // size, hi // size + 1) if ascending else range(hi // size, lo // size - 1, -1)
    for s in order:
        seqs = {"$gte": max(lo, s * size), "$lte": min(hi, s * size + size - 1)}
        yield {"conversation": conversation, name: s, "seq": seqs, **(extra or {})}


def page(conversation_id, *, before=None, after=None, limit, hidden_senders=frozenset(), top_level=False):
    """`top_level`: `root` null (also on documents from before threads), which MongoDB serves from the
    (conversation, root, seq) index; FerretDB still moves at most a span per query."""
    c = key(conversation_id)
    top = (yield Tops([c])).get(c, 0)
    if after is not None:
        lo, hi, ascending = after + 1, top, True
    else:
        lo, hi, ascending = 1, top if before is None else min(before - 1, top), False
    found = []
    if lo > hi or limit <= 0:
        return found
    extra = {**_not_from(hidden_senders), **({"root": None} if top_level else {})}
    for filter in _spans(c, lo, hi, ascending, extra):
        order = [("seq", 1 if ascending else -1)]
        found += yield Find("messages", filter, sort=order, limit=limit - len(found), projection=MESSAGE_FIELDS)
        if len(found) >= limit:
            break
    messages = [to_message(committed(d, top)) for d in found]
    return messages if ascending else messages[::-1]


def thread_replies(conversation_id, root_id, *, before=None, after=None, limit, hidden_senders=frozenset()):
    """A thread is small beside its conversation and has its own (root, seq) index: one query."""
    c = key(conversation_id)
    top = (yield Tops([c])).get(c, 0)
    if after is not None:
        seqs, ascending = {"$gt": after, "$lte": top}, True
    else:
        seqs, ascending = {"$lte": top if before is None else min(before - 1, top)}, False
    filter = {"root": key(root_id), "conversation": c, "seq": seqs, **_not_from(hidden_senders)}
    order = [("seq", 1 if ascending else -1)]
    docs = yield Find("messages", filter, sort=order, limit=limit, projection=MESSAGE_FIELDS)
    messages = [to_message(committed(d, top)) for d in docs]
    return messages if ascending else messages[::-1]


def thread_unread_counts(user_id, read_marks, hidden_senders):
    if not read_marks:
        return {}
    tops = yield Tops({key(c) for c, _ in read_marks.values()})
    after_mark = [
        {"root": key(root), "conversation": key(c), "seq": {"$gt": last_read, "$lte": tops.get(key(c), 0)}}
        for root, (c, last_read) in read_marks.items()
    ]
    match = {"$or": after_mark, "deleted_at": None, "sender": {"$nin": sorted({user_id, *hidden_senders})}}
    rows = yield Aggregate("messages", [{"$match": match}, {"$group": {"_id": "$root", "n": {"$sum": 1}}}])
    return {UUID(row["_id"]): row["n"] for row in rows if row["n"]}


def expired(conversation_id, older_than, limit):
    c = key(conversation_id)
    top = (yield Tops([c])).get(c, 0)
    # Up to the committed seq only: a message whose send may still roll back is not retention's.
    filter = {"conversation": c, "deleted_at": None, "created_at": {"$lt": older_than}, "seq": {"$lte": top}}
    docs = yield Find("messages", filter, sort=[("seq", 1)], limit=limit, projection={"_id": 1})
    return [UUID(d["_id"]) for d in docs]


def pinned(conversation_id, hidden_senders=frozenset()):
    c = key(conversation_id)
    filter = {"conversation": c, "pinned_at": {"$ne": None}, **_not_from(hidden_senders)}
    docs = yield Find("messages", filter, projection=MESSAGE_FIELDS)
    top = (yield Tops([c])).get(c, 0)
    shown = [d for d in _visible(docs, {c: top}) if d.get("pinned_at")]
    return [to_message(d) for d in sorted(shown, key=lambda d: d["pinned_at"], reverse=True)]


def latest_seq(conversation_id):
    return (yield from latest_seqs([conversation_id]))[conversation_id]


def latest_seqs(conversation_ids):
    tops = (yield Tops([key(c) for c in conversation_ids])) if conversation_ids else {}
    return {c: tops.get(key(c), 0) for c in conversation_ids}


def events_after(conversation_id, seq, limit):
    """Up to `limit` events above `seq`, never above the committed top: every seq up to it has its
    event and its message written (see mongo.py), so the page has no hole a reader could skip."""
    c = key(conversation_id)
    top = (yield Tops([c])).get(c, 0)
    hi = min(top, seq + limit)
    docs = []
    if hi <= seq:
        return docs
    # A reader who keeps up asks for a few seqs: one tail moves at most TAIL documents.
    unit = ("tail", TAIL) if hi - seq <= 2 * TAIL else ("span", SPAN)
    for filter in _spans(c, seq + 1, hi, ascending=True, unit=unit):
        docs += yield Find("events", filter, sort=[("seq", 1)])
    # The messages the events name, by the tail (or span) of their own seq.
    seqs = {d["message"]: d.get("mseq", d["seq"]) for d in docs if d.get("message")}
    by_tail = len({tail(s) for s in seqs.values()}) <= 2
    wanted = {}
    for message, s in seqs.items():
        wanted.setdefault(("tail", tail(s)) if by_tail else ("span", span(s)), []).append(message)
    found = []
    for (name, s), ids in sorted(wanted.items()):
        filter = {"conversation": c, name: s, "_id": {"$in": sorted(ids)}}
        found += yield Find("messages", filter, projection=MESSAGE_FIELDS)
    by_id = {d["_id"]: to_message(d) for d in _visible(found, {c: top})}
    return [to_event(d, by_id.get(d.get("message"))) for d in docs]


def last_messages(conversation_ids, hidden_senders):
    """Three round trips as a rule: the committed tops, one look at the newest seqs of every
    conversation at once, and the winning messages. A conversation whose newest events hold no
    visible message (a long run of joins, reactions or deletes) is looked at again, 8 times wider."""
    if not conversation_ids:
        return {}
    tops = yield Tops([key(c) for c in conversation_ids])
    unsearched = dict(tops)  # seqs at or below this are not looked at yet
    newest, width = {}, LAST_MESSAGE_WINDOW
    while unsearched:
        windows = [{"conversation": c, "seq": {"$gt": top - width, "$lte": top}} for c, top in unsearched.items()]
        filter = {"$or": windows, "deleted_at": None, "root": None, **_not_from(hidden_senders)}
        for doc in (yield Find("messages", filter, projection={"conversation": 1, "seq": 1})):
            if doc["seq"] > newest.get(doc["conversation"], (0, None))[0]:
                newest[doc["conversation"]] = (doc["seq"], doc["_id"])
        unsearched = {c: top - width for c, top in unsearched.items() if c not in newest and top > width}
        width *= 8
    if not newest:
        return {}
    docs = yield Find("messages", {"_id": {"$in": [i for _, i in newest.values()]}}, projection=MESSAGE_FIELDS)
    return {m.conversation_id: m for m in map(to_message, _visible(docs, tops))}


def unread_counts(user_id, read_marks, hidden_senders):
    if not read_marks:
        return {}
    tops = yield Tops([key(c) for c in read_marks])
    after_mark = [
        {"conversation": key(c), "seq": {"$gt": last_read, "$lte": tops.get(key(c), 0)}}
        for c, last_read in read_marks.items()
    ]
    # Replies count in their thread (thread_unread_counts); null also matches documents from before threads.
    match = {
        "$or": after_mark,
        "deleted_at": None,
        "root": None,
        "sender": {"$nin": sorted({user_id, *hidden_senders})},
    }
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
    tops = (yield Tops({d["conversation"] for d in docs})) if docs else {}
    return [to_message(d) for d in _visible(docs, tops)]


def counters(after, limit):
    return (yield Relational(counter_page, (after, limit)))


def export(conversation_id, after_seq, upto_seq):
    """One conversation's seqs in (after_seq, upto_seq], and the messages their events touched."""
    c = key(conversation_id)
    top = (yield Tops([c])).get(c, 0)
    upto = min(upto_seq, top)
    in_range = {"conversation": c, "seq": {"$gt": after_seq, "$lte": upto}}
    events = yield Find("events", in_range, sort=[("seq", 1)])
    touched = list({e["message"] for e in events if e.get("message")})
    filter = {"$or": [in_range, {"_id": {"$in": touched}}]} if touched else in_range
    docs = _visible((yield Find("messages", filter, sort=[("seq", 1)])), {c: top})
    return Chunk(
        conversation_id=conversation_id,
        messages=[to_message(d) for d in docs],
        histories={UUID(d["_id"]): to_history(d) for d in docs if d.get("edits")},
        events=[to_event(e, None) for e in events],
        last_seq=upto,
    )
