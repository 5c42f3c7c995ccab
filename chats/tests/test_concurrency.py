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


def _outcome(call):
    """What a caller sees: "ok", or the API error's code (never a 500)."""
    from chatsite.api_errors import ApiError

    try:
        call()
    except ApiError as error:
        return error.code
    return "ok"


def _events(conversation, type):
    return [e for e in get_store().events_after(conversation.id, 0, 1000) if e.type == type]


def test_a_double_leave_writes_one_member_left(empty_group, django_user_model):
    owner, conversation = empty_group
    member = django_user_model.objects.create_user("leaver")
    actions.do_invite(owner, conversation.id, member)
    outcomes = run_together(2, lambda i: _outcome(lambda: actions.do_leave(member, conversation.id)))
    assert sorted(outcomes) == ["not_found", "ok"]  # the second finds a group it no longer sees
    assert len(_events(conversation, "member.left")) == 1


def test_a_leave_racing_a_kick_writes_one_member_left(empty_group, django_user_model):
    owner, conversation = empty_group
    member = django_user_model.objects.create_user("racer")
    actions.do_invite(owner, conversation.id, member)
    calls = [lambda: actions.do_leave(member, conversation.id), lambda: actions.do_kick(owner, conversation.id, member)]
    outcomes = run_together(2, lambda i: _outcome(calls[i]))
    assert outcomes.count("ok") == 1
    assert len(_events(conversation, "member.left")) == 1


def test_two_invites_of_one_user_at_once_make_one_membership_and_no_server_error(empty_group, django_user_model):
    owner, conversation = empty_group
    guest = django_user_model.objects.create_user("guest")
    outcomes = run_together(2, lambda i: _outcome(lambda: actions.do_invite(owner, conversation.id, guest)))
    assert sorted(outcomes) == ["already_member", "ok"]
    joined = [e for e in _events(conversation, "member.joined") if e.data["user_id"] == guest.pk]
    assert len(joined) == 1
