"""The action contract: a `do_*` enforces its own rules, whoever calls it."""

import pytest

from chats import actions
from chatsite.api_errors import ApiError
from testkit.factories import group_of, send

pytestmark = pytest.mark.django_db


def test_a_mention_finds_the_member_whatever_the_case_typed(alice, bob):
    conversation = group_of(alice, bob)
    message = send(alice, conversation, "ping @Bob and @ALICE")
    assert sorted(message.mentions) == sorted([alice.pk, bob.pk])


def test_typing_in_an_archived_conversation_is_refused(alice, bob):
    conversation = group_of(alice, bob)
    actions.do_archive(alice, conversation.id)
    with pytest.raises(ApiError) as refused:
        actions.check_typing(bob, conversation.id)
    assert refused.value.code == "archived"


def test_typing_where_one_is_not_a_member_is_refused_like_any_frame(alice, bob, carol):
    conversation = group_of(alice, bob)
    with pytest.raises(ApiError) as refused:
        actions.check_typing(carol, conversation.id)
    assert refused.value.code == "not_found"


def test_create_refuses_an_unknown_invitee_itself(alice):
    with pytest.raises(ApiError) as refused:
        actions.do_create_conversation(alice, kind="group", title="t", member_ids=[alice.pk + 1000])
    assert refused.value.status_code == 400 and "member_ids" in refused.value.fields


def test_a_send_the_spam_model_is_sure_of_is_refused_and_an_ordinary_one_goes_through(
    active_spam_model, alice, bob, settings
):
    settings.ML_SPAM_REJECT = 0.6  # the generated training set is small: its scores are less extreme
    conversation = group_of(alice, bob)
    with pytest.raises(ApiError) as refused:
        send(alice, conversation, "WIN a FREE iPhone! Text WIN to 80086 now to claim your prize")
    assert refused.value.code == "spam_suspected" and refused.value.status_code == 422
    assert send(alice, conversation, "running late, see you at the cafe").text
