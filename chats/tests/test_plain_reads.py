"""The SQL store's event log is read in plain SQL (chatsite.plain_rows): it must answer exactly as
the ORM's read of the same rows, on PostgreSQL and on SQLite."""

import dataclasses

import pytest

from chats import actions
from chats.backends.sql import SqlMessageStore
from chats.models import StoredEvent, StoredMessage
from testkit.factories import send

pytestmark = pytest.mark.django_db


def test_the_event_log_read_in_plain_sql_gives_what_the_orm_reads(alice, bob, group, django_assert_num_queries):
    hello = send(alice, group, "hello @bob")
    actions.do_react(bob, group.id, hello.id, "👍")
    actions.do_edit_message(alice, group.id, hello.id, "hello again @bob")
    send(bob, group, "plain")
    store = SqlMessageStore()

    with django_assert_num_queries(2):  # the events with their messages, then the reactions
        events = store.events_after(group.id, 0, 100)

    rows = list(StoredEvent.objects.filter(conversation_id=group.id).order_by("seq"))
    assert [e.seq for e in events] == [r.seq for r in rows]
    messages = {m.id: m for m in StoredMessage.objects.filter(conversation_id=group.id)}
    for event, row in zip(events, rows, strict=True):
        assert (event.type, event.actor_id, event.created_at, event.message_id, event.data) == (
            row.type,
            row.actor_id,
            row.created_at,
            row.message_id,
            row.data,
        )
        if row.message_id is None:
            assert event.message is None
            continue
        stored = messages[row.message_id]
        got = dataclasses.asdict(event.message)
        assert {name: got[name] for name in ("id", "seq", "sender_id", "text", "created_at", "edited_at")} == {
            "id": stored.id,
            "seq": stored.seq,
            "sender_id": stored.sender_id,
            "text": stored.text,
            "created_at": stored.created_at,
            "edited_at": stored.edited_at,
        }
        assert got["mentions"] == stored.mentions and got["attachments"] == stored.attachments
    (greeting,) = {e.message.id: e.message for e in events if e.message and e.message.id == hello.id}.values()
    assert greeting.reactions == {"👍": [bob.pk]}
    assert greeting.mentions == [bob.pk]  # a JSON column, decoded as the ORM decodes it


def test_an_empty_stretch_of_the_log_reads_nothing(group):
    assert SqlMessageStore().events_after(group.id, 10_000, 50) == []
