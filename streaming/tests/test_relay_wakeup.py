"""The relay's wake-up (PostgreSQL NOTIFY) leaves after the writing transaction commits, once per
transaction, and still reaches a listener: inside the transaction it would make every writer of
the database commit one at a time."""

import psycopg
import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from streaming.events import NOTIFY_CHANNEL, emit
from testkit.services import deadline, require_service

pytestmark = [pytest.mark.services]


@pytest.fixture
def listener(settings):
    require_service("postgres")
    settings.KAFKA_BOOTSTRAP_SERVERS = settings.KAFKA_BOOTSTRAP_SERVERS or "127.0.0.1:1"  # turns the wake-up on
    with psycopg.connect(**connection.get_connection_params(), autocommit=True) as conn:
        conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
        yield conn


def _notified(conn):
    return list(conn.notifies(timeout=deadline(), stop_after=1))


@pytest.mark.django_db(transaction=True)
def test_the_wake_up_is_sent_once_after_the_commit_and_reaches_a_listener(listener):
    with CaptureQueriesContext(connection) as captured, transaction.atomic():
        emit("moderation.reported", key="k1", payload={})
        emit("moderation.reported", key="k2", payload={})
    sql = [q["sql"] for q in captured.captured_queries]
    wakes = [i for i, s in enumerate(sql) if NOTIFY_CHANNEL in s]
    assert len(wakes) == 1, sql
    assert "COMMIT" in sql[: wakes[0]], sql
    assert _notified(listener), "the listener heard no wake-up"


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_transaction_sends_no_wake_up(listener):
    with CaptureQueriesContext(connection) as captured, pytest.raises(RuntimeError), transaction.atomic():
        emit("moderation.reported", key="k", payload={})
        raise RuntimeError("rolled back")
    assert not [q for q in captured.captured_queries if NOTIFY_CHANNEL in q["sql"]]
