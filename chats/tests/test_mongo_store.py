"""What only the MongoDB store has to get right: its documents, its indexes, and seqs taken without
transactions. The behaviour it shares with the SQL store is in test_store_contract.py."""

import io
import uuid
from datetime import timedelta

import pytest
from django.core.management import call_command
from pymongo import MongoClient

from chats.backends.mongo import MongoMessageStore, event_document
from testkit.factories import store_send as send
from testkit.services import require_service

pytestmark = pytest.mark.services


@pytest.fixture
def mongo(mongo_url):
    require_service("ferretdb")
    store = MongoMessageStore(mongo_url)
    yield store
    store.close()


@pytest.fixture
def raw(mongo_url):
    with MongoClient(mongo_url, uuidRepresentation="standard") as client:
        yield client.get_default_database()


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
    stored = list(raw.messages.find()) + list(raw.events.find()) + list(raw.counters.find())
    assert not [k for k in keys(stored) if "." in k or k.startswith("$")]
    assert raw.messages.find_one()["reactions"][-1] == {"emoji": "🏳️‍🌈", "user_id": 2}


def test_a_send_in_flight_holds_readers_at_its_event_until_its_message_is_there(mongo):
    conversation = uuid.uuid4()
    before = send(mongo, conversation, "before")
    # The first half of a send: its event took seq 2, the message is not written yet.
    in_flight = event_document(conversation, None, "message.created", 1, before.created_at, uuid.uuid4())
    assert mongo._claim(in_flight) == 2
    mongo.append_event(conversation, "member.joined", 3, {"user_id": 3})
    assert [e.seq for e in mongo.events_after(conversation, 0, 10)] == [1]
    # A writer that never comes back does not hold readers for ever.
    mongo.settle_time = timedelta(0)
    assert [(e.seq, e.message) for e in mongo.events_after(conversation, 1, 10)] == [(2, None), (3, None)]


def test_a_counter_behind_the_log_costs_retries_never_a_reused_seq(mongo, raw):
    conversation = uuid.uuid4()
    for i in range(5):
        send(mongo, conversation, f"m{i}")
    # As after a lost update on FerretDB, or a restored backup of the counters.
    raw.counters.update_one({"_id": str(conversation)}, {"$set": {"seq": 1}})
    assert mongo.latest_seq(conversation) == 5
    assert send(mongo, conversation, "next").seq == 6
    assert mongo.append_event(conversation, "member.joined", 2, {}).seq == 7
    assert raw.counters.find_one({"_id": str(conversation)})["seq"] == 7


class LookedTooEarly(MongoMessageStore):
    """A store whose next client_id lookup misses: as when a concurrent retry inserts the message just
    after this send looked for it."""

    missed = False

    def find_by_client_id(self, *args):
        if not self.missed:
            self.missed = True
            return None
        return super().find_by_client_id(*args)


def test_a_send_that_loses_a_client_id_race_answers_with_the_winner_and_leaves_its_seq_unused(mongo, mongo_url):
    conversation = uuid.uuid4()
    winner = send(mongo, conversation, "first", client_id="same")
    loser = LookedTooEarly(mongo_url)
    try:
        message, created = loser.send(
            conversation_id=conversation,
            sender_id=1,
            client_id="same",
            text="again",
            parent_id=None,
            mentions=[],
            mention_all=False,
        )
    finally:
        loser.close()
    assert (message, created) == (winner, False)
    assert send(mongo, conversation, "after").seq == 3
    assert [e.seq for e in mongo.events_after(conversation, 0, 10)] == [1, 3]
    assert [m.text for m in mongo.page(conversation, limit=10)] == ["first", "after"]


async def test_async_reads_use_the_event_loops_own_client(mongo):
    conversation = uuid.uuid4()
    messages = [send(mongo, conversation, f"m{i}") for i in range(3)]
    assert await mongo.apage(conversation, after=1, limit=10) == messages[1:]
    assert [e.message for e in await mongo.aevents_after(conversation, 0, 10)] == messages
    assert await mongo.alatest_seq(conversation) == 3


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
