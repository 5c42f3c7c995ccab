"""The main log's top-level page on PostgreSQL reads the partial index of top-level rows
(message_top_level_idx), so a long run of replies costs it nothing: it never walks over them."""

import uuid

import pytest
from django.db import connection

from chats.backends import get_store
from chats.models import StoredMessage
from testkit.factories import store_send as send
from testkit.services import require_service

pytestmark = [pytest.mark.services, pytest.mark.django_db]


@pytest.fixture
def sql_store(settings):
    require_service("postgres")
    settings.MESSAGE_STORE = "sql"
    return get_store()


def plan_of(read):
    """PostgreSQL's plan of the first statement `read()` runs on the message table."""
    plans = []

    def explain(execute, sql, params, many, context):
        if not plans and StoredMessage._meta.db_table in sql and sql.lstrip().upper().startswith("SELECT"):
            raw = context["cursor"].cursor
            raw.execute("EXPLAIN " + sql, params)
            plans.append("\n".join(row[0] for row in raw.fetchall()))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(explain):
        result = read()
    return result, plans[0]


def test_a_top_level_page_is_read_from_the_partial_index_of_top_level_rows(sql_store):
    conversation = uuid.uuid4()
    root = send(sql_store, conversation, text="root")
    for i in range(300):
        send(sql_store, conversation, sender=2, text=f"r{i}", thread_root_id=root.id)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {StoredMessage._meta.db_table}")
        # On a table this small a sequential scan is cheapest; the question is which index serves.
        cursor.execute("SET LOCAL enable_seqscan = off")

    page, plan = plan_of(lambda: sql_store.page(conversation, limit=50, top_level=True))
    assert [m.id for m in page] == [root.id]
    assert "message_top_level_idx" in plan, plan
