"""A send on PostgreSQL costs a fixed, short list of statements: the conversation's seq counter
stays locked from the statement that takes the seq until the commit, so every statement added
between them slows every other sender of the conversation (bench.send_profile lists them)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from chats import actions
from chats.backends import get_store
from testkit.services import require_service

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def on_postgres(settings):
    require_service("postgres")
    settings.MESSAGE_STORE = "sql"


def _sql_of_send(user, conversation_id, client_id):
    with CaptureQueriesContext(connection) as captured:
        message, created = actions.do_send_message(user, conversation_id, text="hi", client_id=client_id)
    return [q["sql"] for q in captured.captured_queries], message, created


def test_a_send_takes_its_seq_and_writes_message_and_event_in_one_statement(on_postgres, alice, group):
    actions.do_send_message(alice, group.id, text="first", client_id="c0")  # the counter row exists
    sql, message, created = _sql_of_send(alice, group.id, "c1")
    assert created
    writes = [s for s in sql if "chats_seqcounter" in s or "chats_storedmessage" in s or "chats_storedevent" in s]
    assert len(writes) == 1, writes
    assert not [s for s in sql if s.startswith("SAVEPOINT")], sql
    # Only the outbox row and the commit follow the statement that locks the counter.
    assert sql[sql.index(writes[0]) + 2] == "COMMIT", sql
    assert [e.seq for e in get_store().events_after(group.id, message.seq - 1, 10)] == [message.seq]


def test_a_retry_in_one_statement_gives_the_seq_back_and_answers_with_the_first_message(on_postgres, alice, group):
    first, _ = actions.do_send_message(alice, group.id, text="once", client_id="same")
    _, again, created = _sql_of_send(alice, group.id, "same")
    assert not created and again.id == first.id
    following, _ = actions.do_send_message(alice, group.id, text="next", client_id="after")
    assert following.seq == first.seq + 1
