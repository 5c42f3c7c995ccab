import json
import time

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from chats import selectors as chat_selectors
from testkit.api import assert_error
from testkit.factories import group_of

pytestmark = pytest.mark.django_db


def make_hook(client, conversation, bot, name="ci"):
    response = client.post(
        f"/api/v1/conversations/{conversation.id}/webhooks", {"bot_id": bot.pk, "name": name}, format="json"
    )
    assert response.status_code == 201, response.json()
    return response.json()


def post(url, body, **extra):
    data = body if isinstance(body, bytes | str) else json.dumps(body)
    return APIClient().generic("POST", url, data, content_type="application/json", **extra)


def texts(user, conversation):
    return [m.text for m in chat_selectors.message_page(user, conversation.id)]


def test_a_posted_text_becomes_a_message_from_the_bot(owner_client, room, bot, bob):
    hook = make_hook(owner_client, room, bot[0])
    assert hook["url"].startswith("http://testserver/api/v1/hooks/")
    assert hook["bot"]["is_bot"] is True
    response = post(hook["url"], {"text": "build 42 passed"})
    assert response.status_code == 201, response.json()
    page = chat_selectors.message_page(bob, room.id)
    assert [(m.text, m.sender_id) for m in page] == [("build 42 passed", bot[0].pk)]
    assert response.json()["seq"] == page[0].seq


def test_a_retry_with_the_same_client_id_posts_once(owner_client, room, bot, bob):
    hook = make_hook(owner_client, room, bot[0])
    first = post(hook["url"], {"text": "deploy", "client_id": "deploy-7"})
    again = post(hook["url"], {"text": "deploy", "client_id": "deploy-7"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert texts(bob, room) == ["deploy"]


def test_a_wrong_or_deleted_secret_is_not_found(owner_client, room, bot):
    hook = make_hook(owner_client, room, bot[0])
    assert_error(post(hook["url"][:-3] + "xyz", {"text": "x"}), 404, "not_found")
    assert owner_client.delete(f"/api/v1/conversations/{room.id}/webhooks/{hook['id']}").status_code == 204
    assert_error(post(hook["url"], {"text": "x"}), 404, "not_found")


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"not json", "invalid_json"),
        (b"[1, 2]", "invalid_json"),
        ({"text": 5}, "invalid"),
        ({"text": "   "}, "invalid"),
        ({"text": "hi", "username": "admin"}, "unknown_fields"),
    ],
)
def test_bad_bodies_are_clear_errors(owner_client, room, bot, body, code):
    hook = make_hook(owner_client, room, bot[0])
    assert_error(post(hook["url"], body), 400, code)


@override_settings(INCOMING_WEBHOOK_MAX_BYTES=100)
def test_a_body_over_the_limit_is_refused_unread(owner_client, room, bot, bob):
    hook = make_hook(owner_client, room, bot[0])
    assert_error(post(hook["url"], {"text": "x" * 200}), 413, "too_large")
    assert texts(bob, room) == []


@override_settings(INCOMING_WEBHOOK_RATE_LIMIT="2/m")
def test_each_webhook_is_rate_limited(owner_client, room, bot, monkeypatch):
    held = time.time() + 30_000_000  # one fixed window that no other test uses
    monkeypatch.setattr(time, "time", lambda: held)
    hook = make_hook(owner_client, room, bot[0])
    assert [post(hook["url"], {"text": f"n{i}"}).status_code for i in range(2)] == [201, 201]
    response = post(hook["url"], {"text": "n3"})
    assert_error(response, 429, "rate_limited")
    assert int(response["Retry-After"]) > 0


def test_only_an_admin_who_owns_the_bot_makes_a_webhook(owner_client, room, bot, bob, alice):
    bobs_client = APIClient()
    bobs_client.force_authenticate(bob)
    response = bobs_client.post(
        f"/api/v1/conversations/{room.id}/webhooks", {"bot_id": bot[0].pk, "name": "x"}, format="json"
    )
    assert_error(response, 403, "forbidden")
    assert_error(bobs_client.get(f"/api/v1/conversations/{room.id}/webhooks"), 403)
    elsewhere = group_of(bob, alice, title="bob's")
    response = bobs_client.post(
        f"/api/v1/conversations/{elsewhere.id}/webhooks", {"bot_id": bot[0].pk, "name": "x"}, format="json"
    )
    assert_error(response, 404, "not_found")  # bob's admin rights don't reach alice's bot


def test_the_bot_must_be_a_member(owner_client, bot, alice, bob):
    without_bot = group_of(alice, bob, title="no bot")
    response = owner_client.post(
        f"/api/v1/conversations/{without_bot.id}/webhooks", {"bot_id": bot[0].pk, "name": "x"}, format="json"
    )
    assert_error(response, 409, "bot_not_member")


def test_a_bot_removed_from_the_conversation_can_no_longer_post(owner_client, room, bot, alice):
    from chats import actions

    hook = make_hook(owner_client, room, bot[0])
    actions.do_kick(alice, room.id, bot[0])
    assert_error(post(hook["url"], {"text": "still here?"}), 404)  # a group it left is not visible


def test_strangers_see_no_webhooks(room, make_user):
    stranger = APIClient()
    stranger.force_authenticate(make_user("mallory"))
    assert_error(stranger.get(f"/api/v1/conversations/{room.id}/webhooks"), 404)


def test_the_list_never_shows_the_secret(owner_client, room, bot):
    hook = make_hook(owner_client, room, bot[0])
    listed = owner_client.get(f"/api/v1/conversations/{room.id}/webhooks").json()["results"]
    assert [h["name"] for h in listed] == ["ci"]
    assert hook["url"].rsplit("/", 1)[1] not in json.dumps(listed)
