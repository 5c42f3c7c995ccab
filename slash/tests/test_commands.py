"""Slash commands: the built-ins run the action they stand for, with its checks (the server
decides, whatever the client offers); bots' owners register commands, which reach the bot's
outgoing webhook as a signed event whose answer becomes the bot's message; the composer's list
holds the built-ins and the commands of the bots in the conversation, for its members only."""

import pytest
from rest_framework.test import APIClient

from chats import selectors as chat_selectors
from chats.models import Conversation
from integrations.models import Delivery
from notifications.actions import conversation_settings
from testkit.api import assert_error
from testkit.factories import bot_of, group_of

pytestmark = pytest.mark.django_db


def run(client, conversation, text):
    return client.post(f"/api/v1/conversations/{conversation.id}/commands", {"text": text}, format="json")


def texts(user, room):
    return [(m.sender_id, m.text) for m in chat_selectors.message_page(user, room.id)]


def test_the_builtins_run_their_actions(client_for, alice, bob, carol):
    team = group_of(alice, bob, title="Team")
    owner = client_for(alice)

    assert run(owner, team, "/topic Plans for May").json() == {
        "command": "topic",
        "result": "topic set to Plans for May",
    }
    assert Conversation.objects.get(pk=team.pk).topic == "Plans for May"
    assert run(owner, team, "/me waves").status_code == 200
    assert texts(alice, team) == [(alice.pk, "* alice waves")]
    assert run(owner, team, "/invite @Carol").json()["result"] == "carol was added"
    assert chat_selectors.is_member(carol.pk, team.id)
    assert run(client_for(bob), team, "/mute 2").json()["result"] == "muted for 2 hours"
    assert conversation_settings(bob, team.id)[0].muted_until is not None
    assert run(client_for(carol), team, "/leave").json()["result"] == "you left"
    assert not chat_selectors.is_member(carol.pk, team.id)


def test_a_builtin_is_refused_when_its_action_is(client_for, alice, bob, carol):
    team = group_of(alice, bob, title="Team")
    member = client_for(bob)
    assert_error(run(member, team, "/topic Mine now"), 403)  # only admins set the topic
    assert_error(run(member, team, "/invite carol"), 403)
    assert_error(run(client_for(carol), team, "/me hello"), 404, "not_found")  # not a member
    assert_error(run(member, team, "/invite nobody-here"), 404, "not_found")
    assert_error(run(member, team, "/mute forever"), 400, "invalid_command")
    assert_error(run(member, team, "/me"), 400, "invalid_command")
    assert_error(run(member, team, "hello"), 400, "invalid_command")
    assert_error(run(member, team, "/shrug"), 404, "unknown_command")
    assert_error(member.post(f"/api/v1/conversations/{team.id}/commands", {"text": 5}, format="json"), 400)
    assert Conversation.objects.get(pk=team.pk).topic == ""


def test_the_list_offers_builtins_and_the_commands_of_the_bots_here_to_members_only(client_for, alice, bob, carol):
    weather, _ = bot_of(alice, "weatherbot")
    elsewhere, _ = bot_of(carol, "otherbot")
    team = group_of(alice, bob, weather, title="Team")
    owner = client_for(alice)
    assert (
        owner.post(
            f"/api/v1/bots/{weather.pk}/commands",
            {"name": "weather", "description": "Today's <b>weather</b>"},
            format="json",
        ).status_code
        == 201
    )
    client_for(carol).post(
        f"/api/v1/bots/{elsewhere.pk}/commands", {"name": "far", "description": "Not here"}, format="json"
    )

    listed = client_for(bob).get(f"/api/v1/conversations/{team.id}/commands").json()
    assert [c["name"] for c in listed] == ["me", "topic", "invite", "leave", "mute", "weather"]
    assert listed[-1] == {"name": "weather", "description": "Today's <b>weather</b>", "usage": "", "bot": "weatherbot"}
    assert_error(client_for(carol).get(f"/api/v1/conversations/{team.id}/commands"), 404)


def test_only_a_bots_owner_registers_its_commands_and_names_are_checked(client_for, alice, bob):
    bot, _ = bot_of(alice, "helper")
    url = f"/api/v1/bots/{bot.pk}/commands"
    assert_error(client_for(bob).post(url, {"name": "x", "description": "mine"}, format="json"), 404)
    assert_error(client_for(alice).post(url, {"name": "topic", "description": "clash"}, format="json"), 400)
    assert_error(client_for(alice).post(url, {"name": "Bad Name", "description": "no"}, format="json"), 400)
    assert client_for(alice).post(url, {"name": "remind", "description": "Later"}, format="json").status_code == 201
    assert_error(client_for(alice).post(url, {"name": "remind", "description": "Again"}, format="json"), 409)
    assert client_for(alice).get(url).json() == [{"name": "remind", "description": "Later"}]
    assert client_for(alice).delete(f"{url}/remind").status_code == 204
    assert client_for(alice).get(url).json() == []


def test_a_bot_command_reaches_the_bots_webhook_signed_and_its_answer_becomes_the_bots_message(
    client_for, alice, bob, receiver, events_in_process, django_capture_on_commit_callbacks
):
    bot, _ = bot_of(alice, "weatherbot")
    team = group_of(alice, bob, bot, title="Team")
    owner = APIClient()
    owner.force_authenticate(alice)
    owner.post(f"/api/v1/bots/{bot.pk}/commands", {"name": "weather", "description": "Today"}, format="json")
    assert_error(run(client_for(bob), team, "/weather Paris"), 409, "bot_unreachable")  # no webhook yet
    hook = owner.post(
        f"/api/v1/conversations/{team.id}/outgoing-webhooks",
        {"bot_id": bot.pk, "url": receiver.url, "trigger": "mention"},
        format="json",
    ).json()
    receiver.secret = hook["secret"]
    receiver.answers.append((200, {"text": "Sunny in Paris"}))

    with django_capture_on_commit_callbacks(execute=True):
        response = run(client_for(bob), team, "/weather Paris")
    assert response.json() == {"command": "weather", "result": "sent to weatherbot"}
    [(verified, _, event)] = receiver.received
    assert verified and event["event"] == "command"
    assert event["command"]["name"] == "weather" and event["command"]["args"] == "Paris"
    assert event["user"] == {"id": bob.pk, "username": "bob"} and event["conversation_id"] == str(team.id)
    assert texts(bob, team) == [(bot.pk, "Sunny in Paris")]
    assert Delivery.objects.get().status == "delivered"
