"""Sends the models hold wait out of sight until a moderator approves (then everyone sees them, in
order) or rejects them (then nobody does); each decision is audited and teaches the model."""

import pytest

from chats import actions as chat_actions
from chats import selectors
from chats.models import HeldMessage
from chatsite.api_errors import ApiError
from ml.models import Label
from moderation import actions
from moderation.models import AuditLog
from moderation.tests.helpers import HELD, notes
from streaming.models import OutboxEvent
from testkit.factories import group_of, send
from testkit.ml_data import HELD_TEXT as SPAM

pytestmark = pytest.mark.django_db

State = HeldMessage.State


def held_send(user, conversation, client_id="held-1"):
    with pytest.raises(chat_actions.MessageHeld) as answer:
        chat_actions.do_send_message(user, conversation.id, text=SPAM, client_id=client_id)
    assert answer.value.status_code == 202 and answer.value.code == "held_for_review"
    return HeldMessage.objects.get(conversation=conversation, sender=user, client_id=client_id)


def visible_texts(user, conversation):
    page = [m.text for m in selectors.message_page(user, conversation.id)]
    events = [e.message.text for e in selectors.events_after(user, conversation.id, 0, 100) if e.message]
    assert page == events
    return page


def test_a_held_send_is_seen_by_nobody_else_and_a_retry_keeps_one_hold(holding, alice, bob):
    conversation = group_of(alice, bob)
    before = send(alice, conversation, "before")
    held = held_send(alice, conversation)
    held_send(alice, conversation)  # the client retries: still waiting, still one hold
    assert HeldMessage.objects.count() == 1 and held.state == State.PENDING
    assert held.scores["spam"] >= 0.6 and held.code == "spam_suspected"
    assert visible_texts(bob, conversation) == visible_texts(alice, conversation) == ["before"]
    assert [h.text for h in selectors.own_held_messages(alice, conversation.id)] == [SPAM]
    assert selectors.own_held_messages(bob, conversation.id) == []
    assert not OutboxEvent.objects.filter(type="message.created", payload__text=SPAM).exists()
    assert send(alice, conversation, "running late, see you at the cafe").seq == before.seq + 1  # no seq taken


def test_approving_sends_it_as_written_audits_it_and_labels_it_not_spam(store, holding, alice, bob, moderator, deliver):
    conversation = group_of(alice, bob)
    held = held_send(alice, conversation)
    actions.do_review_held(moderator, held.pk, "approve", "a real giveaway by the club")
    assert visible_texts(bob, conversation) == [SPAM]
    held.refresh_from_db()
    message = selectors.message_page(bob, conversation.id)[0]
    assert held.state == State.APPROVED and held.message_id == message.id and held.decided_by == moderator
    assert message.sender_id == alice.pk and message.client_id == "held-1"
    # the sender's retry now finds the message it became
    again, created = chat_actions.do_send_message(alice, conversation.id, text=SPAM, client_id="held-1")
    assert again.id == message.id and not created
    audit = AuditLog.objects.get(action="approve_held")
    assert audit.target_id == str(message.id) and audit.moderator == moderator
    deliver()
    label = Label.objects.get(source=Label.Source.HELD_APPROVED)
    assert (label.kind, label.label, label.text) == ("spam", 0, SPAM)


def test_rejecting_drops_it_and_its_retry_is_refused(holding, alice, bob, moderator, deliver):
    conversation = group_of(alice, bob)
    held = held_send(alice, conversation)
    actions.do_review_held(moderator, held.pk, "reject", "spam")
    assert visible_texts(bob, conversation) == []
    with pytest.raises(ApiError) as refused:
        chat_actions.do_send_message(alice, conversation.id, text=SPAM, client_id="held-1")
    assert (refused.value.status_code, refused.value.code) == (422, "held_rejected")
    assert [h.state for h in selectors.own_held_messages(alice, conversation.id)] == [State.REJECTED]
    deliver()
    label = Label.objects.get(source=Label.Source.HELD_REJECTED)
    assert (label.kind, label.label) == ("spam", 1)
    with pytest.raises(ApiError) as twice:
        actions.do_review_held(moderator, held.pk, "approve", "changed my mind")
    assert twice.value.code == "already_decided"


def test_a_sender_who_left_cannot_be_approved_into_the_conversation(holding, alice, bob, moderator):
    conversation = group_of(alice, bob)
    held = held_send(alice, conversation)
    chat_actions.do_leave(alice, conversation.id)
    with pytest.raises(ApiError) as refused:
        actions.do_review_held(moderator, held.pk, "approve", "fine")
    assert refused.value.status_code in (403, 404)
    held.refresh_from_db()
    assert held.state == State.PENDING and visible_texts(bob, conversation) == []


def test_only_a_moderator_may_review(holding, alice, bob, onlooker):
    held = held_send(alice, group_of(alice, bob))
    for who in (bob, onlooker):
        with pytest.raises(ApiError) as refused:
            actions.do_review_held(who, held.pk, "approve", "mine")
        assert refused.value.status_code == 403


def test_the_admin_queue_shows_why_and_approves_in_bulk(holding, alice, bob, carol, moderator, browser):
    conversation = group_of(alice, bob, carol)
    first = held_send(alice, conversation, "h1")
    second = held_send(carol, conversation, "h2")
    admin = browser(moderator)
    page = admin.get(HELD)
    assert page.status_code == 200
    rows = page.context["cl"].result_list
    assert {h.pk for h in rows} == {first.pk, second.pk}
    assert "<code>" in page.content.decode()  # the n-grams that weighed most, escaped in code tags
    response = admin.action(HELD, "approve_held", [first, second], reason="club giveaway")
    assert notes(response) == ["Approved: 2."]
    assert sorted(visible_texts(bob, conversation)) == [SPAM, SPAM]
    assert AuditLog.objects.filter(action="approve_held").count() == 2
