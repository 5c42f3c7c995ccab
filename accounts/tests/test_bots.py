import pytest
from django.contrib.auth import get_user_model
from knox.models import AuthToken
from rest_framework.test import APIClient

from testkit.api import assert_error, token_client
from testkit.factories import bot_of, group_of

pytestmark = pytest.mark.django_db
User = get_user_model()


@pytest.fixture
def owner_client(alice):
    client = APIClient()
    client.force_authenticate(alice)
    return client


def test_an_owner_makes_a_bot_that_is_shown_as_a_bot(owner_client, alice, bob):
    response = owner_client.post("/api/v1/bots", {"username": "echo", "display_name": "Echo"}, format="json")
    assert response.status_code == 201, response.json()
    bot = User.objects.get(username="echo")
    assert bot.is_bot and bot.bot_owner == alice and not bot.has_usable_password()
    assert owner_client.get(f"/api/v1/users/{bot.pk}").json()["is_bot"] is True
    assert owner_client.get(f"/api/v1/users/{bob.pk}").json()["is_bot"] is False
    assert [b["username"] for b in owner_client.get("/api/v1/bots").json()["results"]] == ["echo"]


def test_bot_names_follow_the_username_rules(owner_client, bob):
    assert_error(owner_client.post("/api/v1/bots", {"username": "has space"}, format="json"), 400, "invalid")
    assert_error(owner_client.post("/api/v1/bots", {"username": "BOB"}, format="json"), 400, "invalid")


def test_a_bot_cannot_sign_in_with_a_password(alice, api_client):
    bot_of(alice, "echo")
    response = api_client.post("/api/v1/auth/login", {"username": "echo", "password": ""}, format="json")
    assert_error(response, 400)


def test_a_bot_token_reads_as_the_bot_and_shows_it_is_a_bot(alice):
    _, token = bot_of(alice, "echo", scopes=["read"])
    me = token_client(token).get("/api/v1/me").json()
    assert me["username"] == "echo" and me["is_bot"] is True


def test_a_read_token_cannot_send_and_a_send_token_cannot_read(alice, bob):
    bot, read_token = bot_of(alice, "echo", scopes=["read"])
    conversation = group_of(alice, bob, bot)
    url = f"/api/v1/conversations/{conversation.id}/messages"
    body = {"text": "hi", "client_id": "c1"}
    assert token_client(read_token).get(url).status_code == 200
    assert_error(token_client(read_token).post(url, body, format="json"), 403, "insufficient_scope")
    from accounts import bots

    _, send_token = bots.do_issue_token(alice, bot.pk, ["send"])
    assert token_client(send_token).post(url, body, format="json").status_code == 201
    assert_error(token_client(send_token).get(url), 403, "insufficient_scope")


def test_membership_changes_need_the_manage_scope(alice, bob, carol):
    bot, token = bot_of(alice, "echo", scopes=["read", "send"])
    conversation = group_of(alice, bob, bot)
    response = token_client(token).post(
        f"/api/v1/conversations/{conversation.id}/members", {"user_id": carol.pk}, format="json"
    )
    assert_error(response, 403, "insufficient_scope")


def test_a_bot_sees_only_conversations_it_was_added_to(alice, bob):
    bot, token = bot_of(alice, "echo", scopes=["read", "send", "manage"])
    inside = group_of(alice, bot, title="with bot")
    outside = group_of(alice, bob, title="without bot")
    client = token_client(token)
    assert client.get(f"/api/v1/conversations/{inside.id}/messages").status_code == 200
    assert_error(client.get(f"/api/v1/conversations/{outside.id}/messages"), 404)
    titles = [item["conversation"]["title"] for item in client.get("/api/v1/conversations").json()["results"]]
    assert titles == ["with bot"]


def test_a_bot_never_creates_joins_or_opens_a_conversation(alice, bob):
    from chats import actions

    _, token = bot_of(alice, "echo", scopes=["read", "send", "manage"])
    channel = actions.do_create_conversation(bob, kind="channel", title="open", is_public=True)
    client = token_client(token)
    body = {"kind": "group", "title": "mine", "member_ids": []}
    assert_error(client.post("/api/v1/conversations", body, format="json"), 403, "bot_not_allowed")
    assert_error(client.post(f"/api/v1/conversations/{channel.id}/join"), 403, "bot_not_allowed")
    body = {"user_id": bob.pk}
    assert_error(client.post("/api/v1/conversations/direct", body, format="json"), 403, "bot_not_allowed")


def test_only_the_owner_adds_a_bot(alice, bob):
    from chats import actions

    bot, _ = bot_of(alice, "echo")
    bobs = group_of(bob, alice, title="bob's")
    client = APIClient()
    client.force_authenticate(bob)
    response = client.post(f"/api/v1/conversations/{bobs.id}/members", {"user_id": bot.pk}, format="json")
    assert_error(response, 403, "not_bot_owner")
    actions.do_set_role(bob, bobs.id, alice, "admin")
    assert actions.do_invite(alice, bobs.id, bot)


def test_tokens_of_another_owners_bot_are_not_found(alice, bob):
    bot, _ = bot_of(alice, "echo")
    client = APIClient()
    client.force_authenticate(bob)
    assert_error(client.post(f"/api/v1/bots/{bot.pk}/tokens", {"scopes": ["read"]}, format="json"), 404)
    assert_error(client.delete(f"/api/v1/bots/{bot.pk}/tokens"), 404)


def test_issued_tokens_are_scoped_and_revoked_together(owner_client, alice):
    bot, _ = bot_of(alice, "echo")
    response = owner_client.post(f"/api/v1/bots/{bot.pk}/tokens", {"scopes": ["send", "read"]}, format="json")
    assert response.status_code == 201
    assert response.json()["scopes"] == ["read", "send"]
    assert_error(owner_client.post(f"/api/v1/bots/{bot.pk}/tokens", {"scopes": ["admin"]}, format="json"), 400)
    assert_error(owner_client.post(f"/api/v1/bots/{bot.pk}/tokens", {"scopes": []}, format="json"), 400)
    assert owner_client.delete(f"/api/v1/bots/{bot.pk}/tokens").status_code == 204
    assert not AuthToken.objects.filter(user=bot).exists()
    assert token_client(response.json()["token"]).get("/api/v1/me").status_code == 401


def test_a_bot_cannot_own_bots(alice):
    _, token = bot_of(alice, "echo", scopes=["read", "send", "manage"])
    response = token_client(token).post("/api/v1/bots", {"username": "child"}, format="json")
    assert_error(response, 403, "forbidden")


def test_a_socket_needs_both_read_and_send(alice):
    from gateway.socket.auth import user_for_token

    _, read_only = bot_of(alice, "echo", scopes=["read"])
    _, both = bot_of(alice, "echo2", scopes=["read", "send"])
    assert user_for_token(read_only) is None
    assert user_for_token(both)[0].username == "echo2"
