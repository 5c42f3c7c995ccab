"""What only the MongoDB store has to get right: its documents, its indexes, and seqs that become
visible only when the relational transaction that took them commits. The behaviour it shares with
the SQL store is in test_store_contract.py; the concurrent drill is in test_mongo_churn.py."""

import io
import threading
import uuid

import pytest
from asgiref.sync import async_to_sync
from django.core.management import call_command
from django.db import connection, transaction
from pymongo import MongoClient

from chats.backends.mongo import MongoMessageStore
from testkit.factories import store_send as send
from testkit.services import require_service, run_together

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

# How long a test waits for another thread to reach a point: a bound, not a pause.
WAIT_SECONDS = 30


@pytest.fixture
def mongo(mongo_url):
    require_service("ferretdb")
    require_service("postgres")  # a transaction held open by one thread while another reads
    store = MongoMessageStore(mongo_url)
    yield store
    store.close()


@pytest.fixture
def raw(mongo_url):
    with MongoClient(mongo_url, uuidRepresentation="standard") as client:
        yield client.get_default_database()


class RolledBack(Exception):
    pass


def rolled_back(write):
    """Run a store write in a transaction that then rolls back, as when the outbox row fails, and
    take nothing back by hand (as a process that died before it could)."""
    with pytest.raises(RolledBack), transaction.atomic():
        write()
        raise RolledBack


def keys(value):
    if isinstance(value, dict):
        for key, inner in value.items():
            yield key
            yield from keys(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from keys(inner)


def test_documents_hold_no_key_that_mongodb_refuses(mongo, raw):
    conversation = uuid.uuid4()
    message = send(mongo, conversation, "a.b $c")
    for emoji in ("👍", "a.b", "$set", "🏳️‍🌈"):
        mongo.add_reaction(message.id, 2, emoji)
    mongo.edit(message.id, "edited", 1)
    mongo.append_event(conversation, "conversation.updated", 1, {"title": "x.y"})
    stored = list(raw.messages.find()) + list(raw.events.find())
    assert not [k for k in keys(stored) if "." in k or k.startswith("$")]
    assert raw.messages.find_one()["reactions"][-1] == {"emoji": "🏳️‍🌈", "user_id": 2}


def test_a_rolled_back_send_shows_no_seq_and_the_next_send_takes_its_place(mongo, raw):
    conversation = uuid.uuid4()
    first = send(mongo, conversation, "first")
    rolled_back(lambda: send(mongo, conversation, "lost", client_id="lost"))
    assert raw.messages.count_documents({"text": "lost"}) == 1  # left behind, as after a crash
    assert mongo.latest_seq(conversation) == 1
    assert [e.seq for e in mongo.events_after(conversation, 0, 10)] == [1]
    assert mongo.page(conversation, limit=10) == [first]
    assert mongo.find_by_client_id(conversation, 1, "lost") is None
    # Its seq is handed out again, and the orphan gives way.
    again = send(mongo, conversation, "again", client_id="lost")
    assert again.seq == 2
    assert [(e.seq, e.message) for e in mongo.events_after(conversation, 0, 10)] == [(1, first), (2, again)]
    assert raw.messages.count_documents({"text": "lost"}) == 0


def test_rolled_back_changes_and_events_are_never_seen_and_are_taken_back_by_the_next_write(mongo, raw):
    conversation = uuid.uuid4()
    message = send(mongo, conversation, "v1")
    mongo.add_reaction(message.id, 2, "👍")
    rolled_back(lambda: mongo.edit(message.id, "v2", 1))
    rolled_back(lambda: mongo.add_reaction(message.id, 3, "🔥"))
    rolled_back(lambda: mongo.delete(message.id, 1))
    rolled_back(lambda: mongo.append_event(conversation, "member.joined", 4, {"user_id": 4}))
    as_committed = mongo.get(message.id)
    assert (as_committed.text, as_committed.reactions, as_committed.is_deleted) == ("v1", {"👍": [2]}, False)
    assert mongo.history(message.id) == []
    assert [e.type for e in mongo.events_after(conversation, 0, 10)] == ["message.created", "reaction.added"]
    assert mongo.page(conversation, limit=10) == [as_committed]
    # The next write gets seq 3, which the rolled-back writes had: their documents go first.
    pinned = mongo.set_pinned(message.id, True, 1)
    assert pinned.seq == 3
    assert (pinned.message.text, pinned.message.reactions) == ("v1", {"👍": [2]})
    assert raw.messages.find_one({"_id": str(message.id)})["text"] == "v1"
    assert [e.type for e in mongo.events_after(conversation, 0, 10)] == [
        "message.created",
        "reaction.added",
        "message.pinned",
    ]


def test_a_write_in_flight_is_invisible_until_its_transaction_commits(mongo):
    conversation = uuid.uuid4()
    message = send(mongo, conversation, "v1")
    written, commit = threading.Event(), threading.Event()

    def writer():
        try:
            with transaction.atomic():
                mongo.edit(message.id, "v2", 1)
                send(mongo, conversation, "in flight")
                written.set()
                assert commit.wait(WAIT_SECONDS)
        finally:
            connection.close()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        assert written.wait(WAIT_SECONDS)
        # Both documents are in MongoDB, their seqs (2, 3) are not committed: readers see seq 1 only.
        assert mongo.latest_seq(conversation) == 1
        assert [e.seq for e in mongo.events_after(conversation, 0, 10)] == [1]
        assert [m.text for m in mongo.page(conversation, limit=10)] == ["v1"]
        assert mongo.get(message.id).text == "v1"
    finally:
        commit.set()
        thread.join(WAIT_SECONDS)
    assert [e.seq for e in mongo.events_after(conversation, 0, 10)] == [1, 2, 3]
    assert [m.text for m in mongo.page(conversation, limit=10)] == ["v2", "in flight"]


def test_concurrent_reactions_to_one_message_all_stay(mongo):
    """FerretDB applies an update as read, change, write back: unserialized, one reaction was lost."""
    message = send(mongo, uuid.uuid4(), "popular")
    events = run_together(8, lambda i: mongo.add_reaction(message.id, 100 + i, "👍"))
    assert sorted(mongo.get(message.id).reactions["👍"]) == list(range(100, 108))
    assert sorted(e.seq for e in events) == list(range(2, 10))


def test_a_deleted_text_is_gone_from_the_document_once_the_delete_commits(mongo, raw):
    message = send(mongo, uuid.uuid4(), "secret")
    mongo.edit(message.id, "secret 2", 1)
    mongo.delete(message.id, 1)
    assert "secret" not in str(raw.messages.find_one({"_id": str(message.id)}))


def test_a_conversation_from_before_relational_seqs_goes_on_above_its_old_counter(mongo, raw):
    conversation = uuid.uuid4()
    raw.counters.insert_one({"_id": str(conversation), "seq": 7})
    assert mongo.seed_counters() == 1
    assert mongo.latest_seq(conversation) == 7
    assert send(mongo, conversation).seq == 8
    other = uuid.uuid4()
    raw.counters.insert_one({"_id": str(other), "seq": 4})
    assert mongo.append_event(other, "member.joined", 1, {}).seq == 5  # not seeded: the first write does it


def test_async_reads_use_the_event_loops_own_client(mongo):
    conversation = uuid.uuid4()
    messages = [send(mongo, conversation, f"m{i}") for i in range(3)]
    assert async_to_sync(mongo.apage)(conversation, after=1, limit=10) == messages[1:]
    assert [e.message for e in async_to_sync(mongo.aevents_after)(conversation, 0, 10)] == messages
    assert async_to_sync(mongo.alatest_seq)(conversation) == 3


def test_pages_cross_spans_in_both_directions(mongo, monkeypatch):
    from chats.backends import mongo_reads

    monkeypatch.setattr(mongo_reads, "SPAN", 4)
    conversation = uuid.uuid4()
    messages = []
    for i in range(10):
        messages.append(send(mongo, conversation, f"m{i}"))
        mongo.append_event(conversation, "member.joined", i, {})
    assert mongo.page(conversation, limit=20) == messages
    assert mongo.page(conversation, after=3, limit=4) == messages[2:6]
    assert mongo.page(conversation, before=15, limit=3) == messages[4:7]
    events = mongo.events_after(conversation, 2, 11)
    assert [e.seq for e in events] == list(range(3, 14))
    assert [e.message for e in events if e.type == "message.created"] == messages[1:7]


def test_mongo_indexes_creates_the_unique_indexes_and_may_run_again(mongo_url, raw):
    for _ in range(2):
        call_command("mongo_indexes", mongo_url=mongo_url, stdout=io.StringIO())
    unique = {
        (collection, tuple(index["key"]))
        for collection in ("messages", "events")
        for index in raw[collection].list_indexes()
        if index.get("unique")
    }
    assert unique == {
        ("messages", ("conversation", "seq")),
        ("messages", ("dedupe",)),
        ("events", ("conversation", "seq")),
    }
