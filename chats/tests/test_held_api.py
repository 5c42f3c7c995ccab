"""A held send over REST: 202 with its code, invisible to the others, listed for its sender only."""

import pytest

from chats.models import HeldMessage
from testkit.api import assert_error
from testkit.factories import group_of, send
from testkit.ml_data import HELD_TEXT

pytestmark = pytest.mark.django_db


def test_a_held_send_answers_202_and_only_its_sender_lists_it(holding, client_for, alice, bob, carol):
    conversation = group_of(alice, bob)
    send(alice, conversation, "hello")
    url = f"/api/v1/conversations/{conversation.id}"
    body = {"text": HELD_TEXT, "client_id": "c-1"}
    a, b = client_for(alice), client_for(bob)
    for _ in range(2):  # the first answer and a retry's
        assert_error(a.post(f"{url}/messages", body, format="json"), 202, "held_for_review")
    assert [m["text"] for m in b.get(f"{url}/messages").json()["results"]] == ["hello"]
    listed = a.get(f"{url}/held").json()["results"]
    assert [(h["text"], h["state"], h["client_id"]) for h in listed] == [(HELD_TEXT, "pending", "c-1")]
    assert b.get(f"{url}/held").json()["results"] == []
    assert_error(client_for(carol).get(f"{url}/held"), 404, "not_found")
    assert HeldMessage.objects.count() == 1


def test_a_held_reply_keeps_its_thread_and_lands_in_it_once_approved(holding, client_for, alice, bob, make_user):
    from chats.actions import do_approve_held

    conversation = group_of(alice, bob)
    root = send(alice, conversation, "root")
    url = f"/api/v1/conversations/{conversation.id}"
    body = {"text": HELD_TEXT, "client_id": "c-t", "thread_root": str(root.id)}
    assert_error(client_for(bob).post(f"{url}/messages", body, format="json"), 202, "held_for_review")
    assert client_for(bob).get(f"{url}/held").json()["results"][0]["thread_root"] == str(root.id)

    _, message = do_approve_held(make_user("moderator", is_staff=True), HeldMessage.objects.get().pk)
    assert message.thread_root_id == root.id
    thread = client_for(alice).get(f"{url}/threads/{root.id}").json()
    assert [m["id"] for m in thread["replies"]] == [str(message.id)]
    assert thread["root"]["reply_count"] == 1
