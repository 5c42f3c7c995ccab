"""The message store contract for threads (chats/backends/base.py), on the SQL store and on
MongoDB (FerretDB in tests): each test takes `store` and runs once per adapter."""

import uuid

import pytest

from chats.backends import mongo_reads
from testkit.factories import store_send as send

pytestmark = pytest.mark.django_db


@pytest.fixture
def conversation():
    return uuid.uuid4()


def test_a_reply_keeps_its_root_and_is_an_ordinary_message_with_its_own_seq(store, conversation):
    root = send(store, conversation, text="root")
    reply = send(store, conversation, sender=2, text="reply", thread_root_id=root.id)
    assert (root.thread_root_id, reply.thread_root_id) == (None, root.id)
    assert reply.seq == root.seq + 1
    assert store.get(reply.id) == reply
    assert [e.message.thread_root_id for e in store.events_after(conversation, 0, 10)] == [None, root.id]
    assert [m.id for m in store.page(conversation, limit=10)] == [root.id, reply.id]


def test_thread_replies_are_that_threads_only_in_seq_order_and_paged(store, conversation):
    root, other = send(store, conversation, text="a"), send(store, conversation, text="b")
    replies = [send(store, conversation, sender=2, text=f"r{i}", thread_root_id=root.id) for i in range(5)]
    send(store, conversation, sender=2, text="elsewhere", thread_root_id=other.id)
    send(store, conversation, text="top level")

    assert [m.id for m in store.thread_replies(conversation, root.id, limit=10)] == [r.id for r in replies]
    assert [m.text for m in store.thread_replies(conversation, root.id, limit=2)] == ["r3", "r4"]
    assert [m.text for m in store.thread_replies(conversation, root.id, before=replies[3].seq, limit=2)] == [
        "r1",
        "r2",
    ]
    assert [m.text for m in store.thread_replies(conversation, root.id, after=replies[1].seq, limit=2)] == [
        "r2",
        "r3",
    ]
    assert store.thread_replies(uuid.uuid4(), root.id, limit=10) == []


def test_thread_replies_hide_blocked_senders_and_keep_tombstones(store, conversation):
    root = send(store, conversation, text="root")
    kept = send(store, conversation, sender=2, text="kept", thread_root_id=root.id)
    gone = send(store, conversation, sender=2, text="gone", thread_root_id=root.id)
    send(store, conversation, sender=3, text="blocked", thread_root_id=root.id)
    store.delete(gone.id, 2)
    replies = store.thread_replies(conversation, root.id, limit=10, hidden_senders={3})
    assert [(m.id, m.is_deleted) for m in replies] == [(kept.id, False), (gone.id, True)]


def test_thread_unread_counts_others_live_replies_after_the_mark(store, conversation):
    root, quiet = send(store, conversation, text="root"), send(store, conversation, text="quiet")
    first = send(store, conversation, sender=2, text="1", thread_root_id=root.id)
    send(store, conversation, sender=2, text="2", thread_root_id=root.id)
    deleted = send(store, conversation, sender=2, text="3", thread_root_id=root.id)
    send(store, conversation, sender=1, text="mine", thread_root_id=root.id)
    send(store, conversation, sender=3, text="blocked", thread_root_id=root.id)
    store.delete(deleted.id, 2)
    marks = {root.id: (conversation, first.seq), quiet.id: (conversation, 0)}
    assert store.thread_unread_counts(1, marks, hidden_senders={3}) == {root.id: 1}
    assert store.thread_unread_counts(1, {}, hidden_senders=set()) == {}


def test_conversation_unread_counts_leave_replies_to_their_thread(store, conversation):
    root = send(store, conversation, sender=2, text="root")
    send(store, conversation, sender=2, text="reply", thread_root_id=root.id)
    send(store, conversation, sender=2, text="top")
    assert store.unread_counts(1, {conversation: 0}, set()) == {conversation: 2}


def test_get_many_returns_the_messages_that_exist(store, conversation):
    one, two = send(store, conversation, text="one"), send(store, conversation, text="two")
    found = store.get_many([one.id, two.id, uuid.uuid4()])
    assert sorted(m.text for m in found) == ["one", "two"]
    assert store.get_many([]) == []


def test_the_last_message_of_a_conversation_is_its_newest_top_level_one(store, conversation):
    root = send(store, conversation, text="root")
    send(store, conversation, sender=2, text="reply", thread_root_id=root.id)
    assert store.last_messages([conversation], set())[conversation].id == root.id


def test_a_top_level_page_leaves_replies_out_and_is_still_full(store, conversation):
    tops = [send(store, conversation, text=f"t{i}") for i in range(4)]
    for i in range(6):  # the newest seqs are all replies
        send(store, conversation, sender=2, text=f"r{i}", thread_root_id=tops[-1].id)

    assert [m.text for m in store.page(conversation, limit=3, top_level=True)] == ["t1", "t2", "t3"]
    assert [m.text for m in store.page(conversation, limit=3)] == ["r3", "r4", "r5"]  # replies count without it
    older = store.page(conversation, before=tops[2].seq, limit=5, top_level=True)
    assert [m.text for m in older] == ["t0", "t1"]
    newer = store.page(conversation, after=tops[0].seq, limit=5, top_level=True)
    assert [m.text for m in newer] == ["t1", "t2", "t3"]
    # seqs still count the replies: the next top-level message comes after them
    last = send(store, conversation, text="t4")
    assert last.seq == tops[-1].seq + 7
    assert [m.seq for m in store.page(conversation, after=tops[3].seq, limit=5, top_level=True)] == [last.seq]


def test_a_top_level_page_reaches_past_a_run_of_replies_longer_than_a_page(store, conversation, monkeypatch):
    # Mongo reads a page a span of seqs at a time: small spans, so that the run below crosses several.
    monkeypatch.setattr(mongo_reads, "SPAN", 8)
    first = send(store, conversation, text="first")
    for i in range(30):
        send(store, conversation, sender=2, text=f"r{i}", thread_root_id=first.id)
    second = send(store, conversation, text="second")
    assert [m.id for m in store.page(conversation, limit=10, top_level=True)] == [first.id, second.id]
    assert [m.id for m in store.page(conversation, before=second.seq, limit=10, top_level=True)] == [first.id]
    assert [m.id for m in store.page(conversation, after=first.seq, limit=10, top_level=True)] == [second.id]


def test_a_top_level_page_hides_blocked_senders_and_keeps_tombstones(store, conversation):
    kept, gone = send(store, conversation, text="kept"), send(store, conversation, text="gone")
    send(store, conversation, sender=3, text="blocked")
    store.delete(gone.id, 1)
    page = store.page(conversation, limit=10, hidden_senders={3}, top_level=True)
    assert [(m.id, m.is_deleted) for m in page] == [(kept.id, False), (gone.id, True)]
