import pytest
from django.test import override_settings

from testkit.factories import send

pytestmark = pytest.mark.django_db


def url(conversation, rest=""):
    return f"/api/v1/conversations/{conversation.id}/{rest}"


def test_send_returns_the_message_with_its_seq(client_for, alice, group):
    response = client_for(alice).post(url(group, "messages"), {"client_id": "a1", "text": "hi"}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["text"] == "hi"
    assert body["sender_id"] == alice.pk
    # seq 1 and 2 went to the two member.joined events of the new group
    assert body["seq"] == 3


def test_a_retry_with_the_same_client_id_returns_the_first_message(client_for, alice, group):
    api = client_for(alice)
    first = api.post(url(group, "messages"), {"client_id": "dup", "text": "once"}, format="json")
    again = api.post(url(group, "messages"), {"client_id": "dup", "text": "once"}, format="json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    page = api.get(url(group, "messages")).json()["results"]
    assert [m["text"] for m in page] == ["once"]


def test_every_change_is_an_event_with_the_next_seq(client_for, alice, bob, group):
    api = client_for(alice)
    message = send(alice, group, "v1")
    api.patch(url(group, f"messages/{message.id}"), {"text": "v2"}, format="json")
    client_for(bob).put(url(group, f"messages/{message.id}/reactions/👍"))
    api.put(url(group, f"messages/{message.id}/pin"))
    api.delete(url(group, f"messages/{message.id}"))
    events = api.get(url(group, "events"), {"after": 0}).json()["results"]
    assert [e["seq"] for e in events] == list(range(1, 8))
    assert [e["type"] for e in events] == [
        "member.joined",
        "member.joined",
        "message.created",
        "message.edited",
        "reaction.added",
        "message.pinned",
        "message.deleted",
    ]


def test_edit_keeps_the_history_and_sets_edited_at(client_for, alice, group):
    message = send(alice, group, "first")
    api = client_for(alice)
    edited = api.patch(url(group, f"messages/{message.id}"), {"text": "second"}, format="json").json()
    assert edited["text"] == "second"
    assert edited["edited_at"] is not None
    history = api.get(url(group, f"messages/{message.id}/history")).json()["results"]
    assert [h["text"] for h in history] == ["first"]


def test_only_the_sender_may_edit(client_for, bob, alice, group):
    message = send(alice, group, "mine")
    response = client_for(bob).patch(url(group, f"messages/{message.id}"), {"text": "theirs"}, format="json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"


def test_delete_leaves_a_tombstone_with_the_content_gone(client_for, alice, bob, group):
    message = send(alice, group, "secret")
    api = client_for(alice)
    api.patch(url(group, f"messages/{message.id}"), {"text": "secret 2"}, format="json")
    client_for(bob).put(url(group, f"messages/{message.id}/reactions/🔥"))
    deleted = api.delete(url(group, f"messages/{message.id}")).json()
    assert deleted["deleted"] is True
    assert deleted["text"] == ""
    assert deleted["reactions"] == {}
    assert api.get(url(group, f"messages/{message.id}/history")).json()["results"] == []
    page = api.get(url(group, "messages")).json()["results"]
    assert [(m["id"], m["text"], m["deleted"]) for m in page] == [(str(message.id), "", True)]
    # the replayed log carries the tombstone, not the old text
    events = api.get(url(group, "events"), {"after": 0}).json()["results"]
    assert "secret" not in str(events)


def test_an_admin_may_delete_another_members_message(client_for, alice, bob, group):
    message = send(bob, group, "spam")
    assert client_for(alice).delete(url(group, f"messages/{message.id}")).status_code == 200


def test_a_member_may_not_delete_another_members_message(client_for, alice, bob, group):
    message = send(alice, group, "keep")
    assert client_for(bob).delete(url(group, f"messages/{message.id}")).status_code == 403


def test_reactions_are_one_per_emoji_per_user_and_idempotent(client_for, alice, bob, group):
    message = send(alice, group)
    for user in (alice, bob, bob):
        client_for(user).put(url(group, f"messages/{message.id}/reactions/👍"))
    body = client_for(bob).put(url(group, f"messages/{message.id}/reactions/🎉")).json()
    assert body["reactions"] == {"👍": [alice.pk, bob.pk], "🎉": [bob.pk]}
    client_for(bob).delete(url(group, f"messages/{message.id}/reactions/👍"))
    body = client_for(bob).delete(url(group, f"messages/{message.id}/reactions/👍")).json()
    assert body["reactions"] == {"👍": [alice.pk], "🎉": [bob.pk]}


def test_pins_are_listed_and_only_admins_pin_in_a_group(client_for, alice, bob, group):
    message = send(bob, group, "important")
    assert client_for(bob).put(url(group, f"messages/{message.id}/pin")).status_code == 403
    assert client_for(alice).put(url(group, f"messages/{message.id}/pin")).json()["pinned"] is True
    pins = client_for(bob).get(url(group, "pins")).json()["results"]
    assert [p["id"] for p in pins] == [str(message.id)]
    client_for(alice).delete(url(group, f"messages/{message.id}/pin"))
    assert client_for(bob).get(url(group, "pins")).json()["results"] == []


def test_a_reply_points_to_its_parent_in_the_same_conversation(client_for, alice, bob, group, carol):
    parent = send(alice, group, "question?")
    api = client_for(bob)
    reply = api.post(
        url(group, "messages"), {"client_id": "r", "text": "answer", "parent_id": str(parent.id)}, format="json"
    )
    assert reply.json()["parent_id"] == str(parent.id)
    from chats import actions

    elsewhere = actions.do_create_conversation(carol, kind="group", title="Other")
    stranger = send(carol, elsewhere, "not here")
    bad = api.post(
        url(group, "messages"), {"client_id": "r2", "text": "x", "parent_id": str(stranger.id)}, format="json"
    )
    assert bad.status_code == 400
    assert "parent_id" in bad.json()["error"]["fields"]


def test_mentions_of_members_and_all_are_stored(client_for, alice, bob, carol, group):
    body = (
        client_for(alice)
        .post(
            url(group, "messages"),
            {"client_id": "m", "text": "@bob and @carol and @all, mail me at x@alice.org"},
            format="json",
        )
        .json()
    )
    assert body["mentions"] == [bob.pk]  # carol is not a member; the e-mail is no mention
    assert body["mention_all"] is True


def test_text_up_to_the_limit_is_accepted_and_longer_is_refused(client_for, alice, group):
    api = client_for(alice)
    assert api.post(url(group, "messages"), {"client_id": "ok", "text": "x" * 4000}, format="json").status_code == 201
    response = api.post(url(group, "messages"), {"client_id": "long", "text": "x" * 4001}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "too_long"


@override_settings(MESSAGE_RATE_LIMIT="3/60s")
def test_sends_over_the_rate_limit_get_429_with_retry_after(client_for, alice, group):
    from django.core.cache import cache

    cache.clear()
    api = client_for(alice)
    codes = [
        api.post(url(group, "messages"), {"client_id": f"r{i}", "text": "x"}, format="json").status_code
        for i in range(4)
    ]
    assert codes == [201, 201, 201, 429]
    limited = api.post(url(group, "messages"), {"client_id": "r9", "text": "x"}, format="json")
    assert limited.json()["error"]["code"] == "rate_limited"
    assert 1 <= int(limited["Retry-After"]) <= 60
    # a retry of a message already sent is still answered
    assert api.post(url(group, "messages"), {"client_id": "r0", "text": "x"}, format="json").status_code == 200


def test_report_goes_to_the_moderation_queue_once(client_for, alice, bob, group):
    from moderation.models import MessageReport

    message = send(alice, group, "rude words")
    api = client_for(bob)
    first = api.post(url(group, f"messages/{message.id}/report"), {"reason": "rude"}, format="json")
    again = api.post(url(group, f"messages/{message.id}/report"), {"reason": "rude"}, format="json")
    assert (first.status_code, again.status_code) == (201, 409)
    report = MessageReport.objects.get()
    assert (report.status, report.text_snapshot, report.reporter_id) == ("open", "rude words", bob.pk)


def test_archived_conversation_refuses_sends(client_for, alice, group):
    client_for(alice).post(url(group, "archive"))
    response = client_for(alice).post(url(group, "messages"), {"client_id": "z", "text": "late"}, format="json")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "archived"


def test_each_write_leaves_one_outbox_event(alice, group):
    from streaming.models import OutboxEvent

    before = OutboxEvent.objects.filter(type="message.created").count()
    send(alice, group, "hello", client_id="once")
    send(alice, group, "hello", client_id="once")
    assert OutboxEvent.objects.filter(type="message.created").count() == before + 1
