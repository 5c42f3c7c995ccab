"""The events analytics counts that chats emits: a read marker that moved, a send held for review,
and the presence sweep's sample of the sockets online."""

import pytest

from chats import actions
from chats.tasks import sweep_presence
from gateway import presence
from streaming.models import OutboxEvent
from testkit.factories import group_of, send
from testkit.ml_data import HELD_TEXT

pytestmark = pytest.mark.django_db


def events(type):
    return list(OutboxEvent.objects.filter(type=type).order_by("occurred_at"))


def test_a_read_marker_that_moves_is_one_conversation_read_event_and_one_that_does_not_is_none(alice, bob):
    conversation = group_of(alice, bob)
    last = send(alice, conversation, "one")
    send(alice, conversation, "two")
    actions.do_mark_read(bob, conversation.id, last.seq)
    actions.do_mark_read(bob, conversation.id, last.seq)  # already there: no read
    actions.do_mark_read(bob, conversation.id, 1)  # backwards: no read
    [read] = events("conversation.read")
    assert (read.actor_id, read.key) == (bob.pk, str(conversation.id))
    assert read.payload == {"conversation_id": str(conversation.id), "user_id": bob.pk, "seq": last.seq}


def test_a_held_send_is_one_moderation_held_event_however_often_it_is_retried(holding, alice, bob):
    conversation = group_of(alice, bob)
    for _ in range(2):  # the send and its retry
        with pytest.raises(actions.MessageHeld):
            actions.do_send_message(alice, conversation.id, text=HELD_TEXT, client_id="held-1")
    [held] = events("moderation.held")
    assert held.actor_id == alice.pk
    assert held.payload["kind"] == "spam" and held.payload["sender_id"] == alice.pk
    assert held.payload["conversation_id"] == str(conversation.id)
    assert held.payload["scores"]["spam"] > 0.5


def sampled():
    sweep_presence.apply().get()
    payload = events("presence.sampled")[-1].payload
    return payload["sockets"], payload["users"]


def test_each_presence_sweep_samples_the_sockets_online(alice, bob):
    # Relative to what is open before: the presence store is shared with whatever else runs.
    sockets, users = sampled()
    presence.connect(alice.pk, "a-phone")
    presence.connect(alice.pk, "a-laptop")
    presence.connect(bob.pk, "b-phone")
    try:
        assert sampled() == (sockets + 3, users + 2)
        presence.disconnect(alice.pk, "a-laptop")
        assert sampled() == (sockets + 2, users + 2)
    finally:
        for user, connection in ((alice, "a-phone"), (bob, "b-phone")):
            presence.disconnect(user.pk, connection)
