"""Seq assignment and send dedupe under real concurrency, on PostgreSQL with real threads."""

import pytest

from chats import actions
from chats.backends import get_store
from testkit.services import require_service, run_together

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def empty_group(django_user_model):
    require_service("postgres")
    owner = django_user_model.objects.create_user("owner")
    conversation = actions.do_create_conversation(owner, kind="group", title="race")
    return owner, conversation


def test_twenty_concurrent_sends_get_seqs_without_gap_or_repeat(empty_group):
    owner, conversation = empty_group
    start = get_store().latest_seq(conversation.id)
    messages = run_together(
        20, lambda i: actions.do_send_message(owner, conversation.id, text=f"m{i}", client_id=f"c{i}")[0]
    )
    assert sorted(m.seq for m in messages) == list(range(start + 1, start + 21))
    page = get_store().page(conversation.id, after=start, limit=100)
    assert [m.seq for m in page] == list(range(start + 1, start + 21))


def test_two_concurrent_sends_with_one_client_id_make_one_message(empty_group):
    owner, conversation = empty_group
    start = get_store().latest_seq(conversation.id)
    results = run_together(2, lambda i: actions.do_send_message(owner, conversation.id, text="once", client_id="same"))
    assert results[0][0].id == results[1][0].id
    assert sorted(created for _, created in results) == [False, True]
    assert [m.text for m in get_store().page(conversation.id, after=start, limit=10)] == ["once"]
    # the loser gave its seq back: the next send takes the very next number
    following, _ = actions.do_send_message(owner, conversation.id, text="next", client_id="after")
    assert following.seq == start + 2
