"""The message store contract (chats/backends/base.py), run against every adapter: each test takes
the `store` fixture and runs once on the SQL store and once on MongoDB (FerretDB in tests)."""

import time
import uuid
from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from pymongo import monitoring

from chats import actions
from chats.actions import changes
from chats.backends.mongo import MongoMessageStore
from chats.backends.sql import SqlMessageStore
from chats.backends.types import AlreadyDone
from testkit.factories import store_send as send
from testkit.services import require_service, run_together

pytestmark = pytest.mark.django_db


@pytest.fixture
def conversation():
    return uuid.uuid4()


def joined(store, conversation, user_id=1):
    return store.append_event(conversation, "member.joined", user_id, {"user_id": user_id, "role": "member"})


def needs_real_concurrency(store):
    if isinstance(store, SqlMessageStore):
        require_service("postgres")  # SQLite serializes writers; the race needs row locks


# --- sending ---


def test_sends_get_the_next_seqs_and_a_created_event(store, conversation):
    joined(store, conversation)
    first = send(store, conversation, text="one")
    second = send(store, conversation, sender=2, text="two", mentions=[1], mention_all=True, parent_id=first.id)
    assert (first.seq, second.seq) == (2, 3)
    assert store.get(second.id) == second
    assert (second.parent_id, second.mentions, second.mention_all) == (first.id, [1], True)
    assert store.latest_seq(conversation) == 3
    events = store.events_after(conversation, 1, 10)
    assert [(e.seq, e.type, e.actor_id, e.message_id) for e in events] == [
        (2, "message.created", 1, first.id),
        (3, "message.created", 2, second.id),
    ]


def test_a_repeated_client_id_returns_the_first_message_and_takes_no_seq(store, conversation):
    first, created = store.send(
        conversation_id=conversation,
        sender_id=1,
        client_id="x",
        text="once",
        parent_id=None,
        mentions=[],
        mention_all=False,
    )
    again, created_again = store.send(
        conversation_id=conversation,
        sender_id=1,
        client_id="x",
        text="twice",
        parent_id=None,
        mentions=[],
        mention_all=False,
    )
    assert (created, created_again) == (True, False)
    assert again == first
    assert store.find_by_client_id(conversation, 1, "x") == first
    assert store.latest_seq(conversation) == 1
    # the key is (conversation, sender, client_id): another sender or conversation may reuse it
    assert send(store, conversation, sender=2, client_id="x").seq == 2
    assert send(store, uuid.uuid4(), sender=1, client_id="x").id != first.id
    assert [m.text for m in store.page(conversation, limit=10)] == ["once", "hello"]


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_concurrent_writes_get_distinct_seqs_without_gaps(store, conversation):
    needs_real_concurrency(store)

    def write(i):
        if i % 4 == 3:
            return joined(store, conversation, i).seq
        return send(store, conversation, sender=i, text=f"m{i}").seq

    seqs = run_together(24, write)
    assert sorted(seqs) == list(range(1, 25))
    assert [e.seq for e in store.events_after(conversation, 0, 100)] == list(range(1, 25))
    assert len(store.page(conversation, after=0, limit=100)) == 18
    assert store.latest_seq(conversation) == 24


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_concurrent_sends_with_one_client_id_make_one_message(store, conversation):
    needs_real_concurrency(store)
    results = run_together(
        8,
        lambda i: store.send(
            conversation_id=conversation,
            sender_id=1,
            client_id="same",
            text="once",
            parent_id=None,
            mentions=[],
            mention_all=False,
        ),
    )
    assert len({message.id for message, _ in results}) == 1
    assert sorted(created for _, created in results) == [False] * 7 + [True]
    assert [m.text for m in store.page(conversation, limit=10)] == ["once"]
    assert [e.type for e in store.events_after(conversation, 0, 10)] == ["message.created"]
    # a lost race may leave a seq unused (MongoDB), but never reuses one
    assert send(store, conversation).seq > results[0][0].seq


def test_a_send_whose_transaction_rolls_back_leaves_no_message(store, alice, group, monkeypatch):
    def outbox_down(*args, **kwargs):
        raise ConnectionError("outbox write failed")

    monkeypatch.setattr(changes, "emit", outbox_down)
    with pytest.raises(ConnectionError):
        actions.do_send_message(alice, group.id, text="lost", client_id="rolled-back")
    assert store.find_by_client_id(group.id, alice.pk, "rolled-back") is None
    assert [e.type for e in store.events_after(group.id, 0, 10)] == ["member.joined", "member.joined"]
    monkeypatch.undo()
    message, created = actions.do_send_message(alice, group.id, text="again", client_id="rolled-back")
    assert created and message.text == "again"


# --- reading pages ---


def test_pages_by_seq_skip_hidden_senders_and_stop_at_the_ends(store, conversation):
    joined(store, conversation)
    messages = []
    for i in range(12):
        messages.append(send(store, conversation, sender=1 + i % 3, text=f"m{i}"))
        if i % 4 == 0:
            joined(store, conversation, 9)  # events between messages: seqs of messages have holes
    seqs = [m.seq for m in messages]
    page = store.page
    assert [m.seq for m in page(conversation, limit=3)] == seqs[-3:]
    assert [m.seq for m in page(conversation, before=seqs[5], limit=3)] == seqs[2:5]
    assert [m.seq for m in page(conversation, after=seqs[5], limit=3)] == seqs[6:9]
    assert page(conversation, before=seqs[0], limit=10) == []
    assert page(conversation, after=seqs[-1], limit=10) == []
    assert [m.seq for m in page(conversation, after=0, limit=1)] == seqs[:1]
    assert [m.seq for m in page(conversation, before=seqs[0] + 1, limit=5)] == seqs[:1]
    assert page(conversation, limit=50) == messages
    visible = [m.seq for m in messages if m.sender_id != 2]
    assert [m.seq for m in page(conversation, limit=4, hidden_senders={2})] == visible[-4:]
    assert [m.seq for m in page(conversation, after=0, limit=4, hidden_senders={2})] == visible[:4]
    assert page(uuid.uuid4(), limit=10) == []


def test_get_and_history_of_an_unknown_message_find_nothing(store):
    assert store.get(uuid.uuid4()) is None
    assert store.history(uuid.uuid4()) == []
    assert store.find_by_client_id(uuid.uuid4(), 1, "nope") is None
    assert store.latest_seq(uuid.uuid4()) == 0


# --- changing messages ---


def test_edits_keep_the_history_oldest_first(store, conversation):
    message = send(store, conversation, text="v1")
    store.edit(message.id, "v2", 1)
    event = store.edit(message.id, "v3", 1)
    assert (event.seq, event.type, event.actor_id, event.message_id) == (3, "message.edited", 1, message.id)
    assert event.message.text == "v3"
    assert event.message.edited_at is not None
    assert [h.text for h in store.history(message.id)] == ["v1", "v2"]
    assert store.history(message.id)[0].replaced_at <= store.history(message.id)[1].replaced_at
    assert store.get(message.id) == event.message


FILE = {"id": "6f1c2d4e-0000-4000-8000-000000000001", "name": "plan.pdf", "size": 12, "kind": "file"}


def test_a_messages_attachments_are_kept_as_given_and_a_tombstone_drops_them(store, conversation):
    message = send(store, conversation, text="", attachments=[FILE])
    assert message.attachments == [FILE]
    assert store.get(message.id).attachments == [FILE]
    assert store.events_after(conversation, 0, 10)[0].message.attachments == [FILE]
    store.delete(message.id, 1)
    assert store.get(message.id).attachments == []
    assert "plan.pdf" not in str(store.events_after(conversation, 0, 10))


def test_an_exported_chunk_carries_the_attachments(store, conversation):
    message = send(store, conversation, attachments=[FILE])
    chunk = store.export(conversation, 0, message.seq)
    assert chunk.messages[0].attachments == [FILE]


def test_delete_leaves_a_tombstone_without_text_history_or_reactions(store, conversation):
    message = send(store, conversation, text="secret", mentions=[2], mention_all=True)
    store.edit(message.id, "secret 2", 1)
    store.add_reaction(message.id, 2, "🔥")
    store.set_pinned(message.id, True, 1)
    event = store.delete(message.id, 1)
    tombstone = store.get(message.id)
    assert event.type == "message.deleted"
    assert event.message == tombstone
    assert tombstone.is_deleted
    assert (tombstone.seq, tombstone.text, tombstone.reactions) == (message.seq, "", {})
    assert (tombstone.mentions, tombstone.mention_all, tombstone.pinned_at) == ([], False, None)
    assert store.history(message.id) == []
    assert store.page(conversation, limit=10) == [tombstone]
    assert "secret" not in str(store.events_after(conversation, 0, 10))


def test_reactions_are_one_per_emoji_per_user_in_the_order_given(store, conversation):
    message = send(store, conversation)
    store.add_reaction(message.id, 1, "👍")
    store.add_reaction(message.id, 2, "👍")
    event = store.add_reaction(message.id, 2, "a.b")  # an emoji is any text: never a document key
    assert (event.type, event.actor_id, event.data) == ("reaction.added", 2, {"emoji": "a.b", "user_id": 2})
    store.add_reaction(message.id, 3, "$x")
    with pytest.raises(AlreadyDone):
        store.add_reaction(message.id, 1, "👍")
    assert store.get(message.id).reactions == {"👍": [1, 2], "a.b": [2], "$x": [3]}
    removed = store.remove_reaction(message.id, 1, "👍")
    assert (removed.type, removed.message.reactions) == ("reaction.removed", {"👍": [2], "a.b": [2], "$x": [3]})
    with pytest.raises(AlreadyDone):
        store.remove_reaction(message.id, 1, "👍")
    assert store.latest_seq(conversation) == removed.seq  # a change that changes nothing takes no seq


def test_pins_are_listed_newest_first_and_pinning_twice_is_already_done(store, conversation):
    first, second, hidden = (send(store, conversation, sender=s) for s in (1, 2, 3))
    event = store.set_pinned(first.id, True, 5)
    assert (event.type, event.data, event.message.pinned_by_id) == ("message.pinned", {"pinned": True}, 5)
    time.sleep(0.002)  # MongoDB keeps milliseconds: let the pins' times differ
    store.set_pinned(second.id, True, 5)
    store.set_pinned(hidden.id, True, 5)
    with pytest.raises(AlreadyDone):
        store.set_pinned(first.id, True, 5)
    assert [m.id for m in store.pinned(conversation, hidden_senders={3})] == [second.id, first.id]
    unpinned = store.set_pinned(second.id, False, 5)
    assert (unpinned.data, unpinned.message.pinned_at, unpinned.message.pinned_by_id) == ({"pinned": False}, None, None)
    with pytest.raises(AlreadyDone):
        store.set_pinned(second.id, False, 5)
    assert [m.id for m in store.pinned(conversation, hidden_senders={3})] == [first.id]


# --- the log ---


def test_events_after_replays_the_log_in_order_with_each_message_as_it_is_now(store, conversation):
    joined(store, conversation, 1)
    message = send(store, conversation, text="v1")
    store.edit(message.id, "v2", 1)
    store.append_event(conversation, "conversation.updated", 1, {"title": "Renamed"})
    events = store.events_after(conversation, 0, 100)
    assert [(e.seq, e.type) for e in events] == [
        (1, "member.joined"),
        (2, "message.created"),
        (3, "message.edited"),
        (4, "conversation.updated"),
    ]
    assert events[0].data == {"user_id": 1, "role": "member"}
    assert (events[0].message, events[3].data) == (None, {"title": "Renamed"})
    assert [e.message.text for e in events[1:3]] == ["v2", "v2"]
    assert [e.seq for e in store.events_after(conversation, 1, 2)] == [2, 3]
    assert store.events_after(conversation, 4, 10) == []


def test_async_reads_answer_as_the_sync_ones(store, conversation):
    joined(store, conversation)
    for i in range(5):
        send(store, conversation, sender=1 + i % 2, text=f"m{i}")
    assert async_to_sync(store.aevents_after)(conversation, 2, 3) == store.events_after(conversation, 2, 3)
    assert async_to_sync(store.apage)(conversation, before=5, limit=2, hidden_senders={2}) == store.page(
        conversation, before=5, limit=2, hidden_senders={2}
    )
    assert async_to_sync(store.alatest_seq)(conversation) == 6


# --- the conversation list ---


class _Commands(monitoring.CommandListener):
    def __init__(self):
        self.count = 0

    def started(self, event):
        self.count += 1

    def succeeded(self, event):
        pass

    def failed(self, event):
        pass


@pytest.fixture
def round_trips(store):
    """round_trips(read) -> (result, number of queries or commands the store sent for it)."""
    if isinstance(store, MongoMessageStore):
        commands = _Commands()
        counted = MongoMessageStore(settings.MONGO_URL, event_listeners=[commands])

        def measure(read):
            before = commands.count
            result = read(counted)
            return result, commands.count - before

        yield measure
        counted.close()
    else:

        def measure(read):
            with CaptureQueriesContext(connection) as queries:
                result = read(store)
            return result, len(queries.captured_queries)

        yield measure


def test_last_messages_are_the_newest_visible_ones(store):
    plain, deleted_last, hidden_last, quiet, only_joins, unknown = (uuid.uuid4() for _ in range(6))
    send(store, plain, text="old")
    newest = send(store, plain, sender=2, text="new")
    kept = send(store, deleted_last, text="kept")
    store.delete(send(store, deleted_last, text="gone").id, 1)
    visible = send(store, hidden_last, text="visible")
    send(store, hidden_last, sender=3, text="from a blocked sender")
    long_ago = send(store, quiet, text="long ago")
    for i in range(150):  # far more events than any first look at the newest seqs covers
        joined(store, quiet, 100 + i)
    joined(store, only_joins)
    ids = [plain, deleted_last, hidden_last, quiet, only_joins, unknown]
    last = store.last_messages(ids, hidden_senders={3})
    assert {c: m.text for c, m in last.items()} == {
        plain: "new",
        deleted_last: "kept",
        hidden_last: "visible",
        quiet: "long ago",
    }
    assert (last[plain], last[deleted_last], last[hidden_last], last[quiet]) == (newest, kept, visible, long_ago)
    assert store.last_messages([], hidden_senders=set()) == {}


def test_latest_seqs_are_each_conversations_newest_event_and_zero_without_any(store):
    talked, only_joins, unknown = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    store.add_reaction(send(store, talked, text="hi").id, 2, "👍")
    joined(store, only_joins)
    joined(store, only_joins, 2)
    seqs = store.latest_seqs([talked, only_joins, unknown])
    assert seqs == {talked: 2, only_joins: 2, unknown: 0}
    assert seqs[talked] == store.latest_seq(talked)
    assert store.latest_seqs([]) == {}


def test_unread_counts_are_others_live_messages_after_the_read_mark(store):
    group, other, read_all = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    mark = send(store, group, sender=2).seq
    send(store, group, sender=2)
    send(store, group, sender=1)  # my own: never unread
    store.delete(send(store, group, sender=2).id, 2)
    send(store, group, sender=3)  # blocked by me
    send(store, group, sender=4)
    send(store, other, sender=2)
    last = send(store, read_all, sender=2).seq
    counts = store.unread_counts(1, {group: mark, other: 0, read_all: last}, hidden_senders={3})
    assert {c: n for c, n in counts.items() if n} == {group: 2, other: 1}
    assert store.unread_counts(1, {}, hidden_senders=set()) == {}


def test_the_list_reads_cost_the_same_for_3_and_30_conversations(store, round_trips):
    def conversations(n):
        ids = [uuid.uuid4() for _ in range(n)]
        for c in ids:
            joined(store, c)
            send(store, c, sender=2)
            store.add_reaction(send(store, c, sender=3).id, 1, "👍")
        return ids

    def cost(ids):
        marks = dict.fromkeys(ids, 1)
        last, n_last = round_trips(lambda s: s.last_messages(ids, {3}))
        unread, n_unread = round_trips(lambda s: s.unread_counts(1, marks, {3}))
        seqs, n_seqs = round_trips(lambda s: s.latest_seqs(ids))
        assert len(last) == len(unread) == len(seqs) == len(ids)
        return n_last, n_unread, n_seqs

    assert cost(conversations(3)) == cost(conversations(30))


# --- search ---


def test_search_finds_every_word_only_in_the_given_conversations(store):
    mine, theirs = uuid.uuid4(), uuid.uuid4()
    older = send(store, mine, text="The purple Elephant dances")
    time.sleep(0.002)
    newer = send(store, mine, sender=2, text="an elephant, purple and proud")
    send(store, mine, text="purple only")
    send(store, theirs, text="purple elephant elsewhere")
    store.delete(send(store, mine, text="deleted purple elephant").id, 1)
    send(store, mine, sender=3, text="purple elephant from a blocked sender")
    found = store.search([mine], "ELEPHANT purple", 10, hidden_senders={3})
    assert [m.id for m in found] == [newer.id, older.id]
    assert [m.id for m in store.search([mine], "elephant purple", 1, hidden_senders={3})] == [newer.id]
    assert store.search([mine], "giraffe", 10, hidden_senders=set()) == []
    assert store.search([], "purple", 10, hidden_senders=set()) == []


def test_an_edit_changes_what_search_finds(store, conversation):
    message = send(store, conversation, text="before walrus")
    store.edit(message.id, "after narwhal", 1)
    assert store.search([conversation], "walrus", 10, set()) == []
    assert [m.id for m in store.search([conversation], "narwhal", 10, set())] == [message.id]


# --- maintenance ---


def test_purged_tombstones_leave_their_events_in_the_log(store, conversation):
    kept = send(store, conversation, text="kept")
    gone = send(store, conversation, text="gone")
    store.delete(gone.id, 1)
    assert store.purge_tombstones(timezone.now() - timedelta(hours=1)) == 0
    assert store.purge_tombstones(timezone.now() + timedelta(seconds=1)) == 1
    assert store.get(gone.id) is None
    assert store.page(conversation, limit=10) == [kept]
    events = store.events_after(conversation, 0, 10)
    assert [(e.seq, e.type, e.message) for e in events[1:]] == [
        (2, "message.created", None),
        (3, "message.deleted", None),
    ]
    assert store.latest_seq(conversation) == 3


def test_an_exported_chunk_loads_into_the_same_store_without_change(store, conversation):
    message = send(store, conversation, text="v1")
    store.edit(message.id, "v2", 1)
    store.add_reaction(message.id, 2, "👍")
    joined(store, conversation)
    chunk = store.export(conversation, 0, 10)
    assert ([m.id for m in chunk.messages], chunk.last_seq) == ([message.id], 4)
    assert [h.text for h in chunk.histories[message.id]] == ["v1"]
    store.load(chunk)
    store.load(chunk)
    assert store.export(conversation, 0, 10) == chunk
    assert store.counters(None, 100) == [(conversation, 4)]
    # an event in a later range brings the message it changed, whatever the message's own seq
    assert [m.id for m in store.export(conversation, 1, 3).messages] == [message.id]


def test_a_tombstone_takes_no_edit_reaction_pin_or_second_delete(store, conversation):
    """The action checks first, but a delete can land between its check and the write."""
    message = send(store, conversation, text="bye")
    store.delete(message.id, 1)
    late_writes = [
        lambda: store.edit(message.id, "back", 1),
        lambda: store.add_reaction(message.id, 2, "👍"),
        lambda: store.set_pinned(message.id, True, 1),
        lambda: store.delete(message.id, 1),
    ]
    for late_write in late_writes:
        with pytest.raises(AlreadyDone):
            late_write()
    assert store.get(message.id).text == ""


def test_expired_lists_live_messages_sent_before_the_cutoff_oldest_first(store, conversation):
    first, second, third = (send(store, conversation, text=t) for t in ("a", "b", "c"))
    store.delete(second.id, 1)
    later = timezone.now() + timedelta(seconds=5)
    assert store.expired(conversation, later, 10) == [first.id, third.id]
    assert store.expired(conversation, later, 1) == [first.id]
    assert store.expired(conversation, first.created_at, 10) == []


# --- link previews ---


def test_previews_are_set_once_and_removed_with_their_own_events(store, conversation):
    message = send(store, conversation, text="see https://example.com")
    assert store.get(message.id).previews is None
    cards = [{"url": "https://example.com", "title": "Example"}]
    found = store.set_previews(message.id, cards, None, first=True)
    assert (found.type, found.seq, found.actor_id, found.message.previews) == ("message.previewed", 2, None, cards)
    with pytest.raises(AlreadyDone):
        store.set_previews(message.id, [{"url": "https://example.com", "title": "Late"}], None, first=True)
    removed = store.set_previews(message.id, [], 1, first=False)
    assert (removed.seq, removed.message.previews) == (3, [])
    with pytest.raises(AlreadyDone):
        store.set_previews(message.id, [], 1, first=False)
    with pytest.raises(AlreadyDone):  # a lookup that ends after the author's removal brings nothing back
        store.set_previews(message.id, cards, None, first=True)
    assert [(e.type, e.message.previews) for e in store.events_after(conversation, 1, 10)] == [
        ("message.previewed", []),
        ("message.previewed", []),
    ]
    assert store.get(message.id).previews == []


def test_a_tombstone_drops_its_previews_and_takes_no_new_ones(store, conversation):
    message = send(store, conversation, text="https://example.com")
    store.set_previews(message.id, [{"url": "https://example.com"}], None, first=True)
    store.delete(message.id, 1)
    assert store.get(message.id).previews == []
    with pytest.raises(AlreadyDone):
        store.set_previews(message.id, [{"url": "https://example.com"}], None, first=False)
