"""SMS through Twilio: a phone number proved with a code sent to it, texts only for direct
messages and mentions after the longer grace, and at most a few a day, at a local server that
checks the Messages API request and its basic auth as Twilio does."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from chats import actions as chat_actions
from notifications import actions, tasks
from notifications.models import Notification
from testkit.api import assert_error
from testkit.factories import send

pytestmark = pytest.mark.django_db

NUMBER = "+15557654321"


@pytest.fixture
def ask_code(django_capture_on_commit_callbacks):
    """Ask for a code for NUMBER as `client`, and run the text's task (after commit)."""

    def ask(client, phone=NUMBER):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post("/api/v1/notifications/phone", {"phone": phone}, format="json")

    return ask


def code_in(twilio_server):
    assert not twilio_server.problems, twilio_server.problems
    return re.search(r"\b(\d{6})\b", twilio_server.requests[-1]["body"]).group(1)


@pytest.fixture
def verified(twilio_server, client_for, ask_code):
    """A person whose phone is verified and who chose SMS for direct messages and mentions."""

    def verify(user):
        client = client_for(user)
        assert ask_code(client).status_code == 202
        confirmed = client.post("/api/v1/notifications/phone/confirm", {"code": code_in(twilio_server)}, format="json")
        assert confirmed.status_code == 200, confirmed.json()
        channels = {"direct": ["sms"], "mention": ["sms"]}
        assert (
            client.patch("/api/v1/notifications/preferences", {"channels": channels}, format="json").status_code == 200
        )
        twilio_server.requests.clear()
        return user

    return verify


def due_now():
    """The SMS grace passes: what waits is due."""
    Notification.objects.filter(status="pending").update(due_at=timezone.now() - timedelta(seconds=1))
    return tasks.deliver_due()


def test_a_phone_is_verified_by_the_code_texted_to_it(alice, twilio_server, client_for, ask_code):
    client = client_for(alice)
    refused = client.patch("/api/v1/notifications/preferences", {"channels": {"direct": ["sms"]}}, format="json")
    assert refused.status_code == 400  # no SMS before the number is proved
    assert ask_code(client).status_code == 202
    assert twilio_server.requests[0]["to"] == NUMBER and twilio_server.requests[0]["from"] == "+15550001111"
    code = code_in(twilio_server)
    wrong = "000000" if code != "000000" else "111111"
    assert_error(client.post("/api/v1/notifications/phone/confirm", {"code": wrong}, format="json"), 400, "invalid")
    answer = client.post("/api/v1/notifications/phone/confirm", {"code": code}, format="json")
    assert answer.status_code == 200
    assert (answer.json()["phone"], answer.json()["phone_verified"]) == (NUMBER, True)
    again = client.post("/api/v1/notifications/phone/confirm", {"code": code}, format="json")
    assert_error(again, 400, "no_code")  # a code works once


def test_a_code_stops_working_after_too_many_wrong_tries(alice, twilio_server, client_for, ask_code):
    client = client_for(alice)
    ask_code(client)
    code = code_in(twilio_server)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(actions.CODE_TRIES):
        assert client.post("/api/v1/notifications/phone/confirm", {"code": wrong}, format="json").status_code == 400
    assert_error(client.post("/api/v1/notifications/phone/confirm", {"code": code}, format="json"), 400, "no_code")
    assert actions.preferences_of(alice).phone_verified is False


def test_a_malformed_number_is_a_clear_error(alice, twilio_server, client_for):
    answer = client_for(alice).post("/api/v1/notifications/phone", {"phone": "555-1234"}, format="json")
    assert_error(answer, 400, "invalid")
    assert twilio_server.requests == []


def test_a_server_without_twilio_refuses_to_verify_a_phone(alice, client_for, settings):
    settings.TWILIO_ACCOUNT_SID = ""
    answer = client_for(alice).post("/api/v1/notifications/phone", {"phone": NUMBER}, format="json")
    assert_error(answer, 409, "sms_unavailable")


def test_a_direct_message_is_texted_only_after_the_longer_grace(alice, bob, twilio_server, verified, deliver, settings):
    settings.NOTIFY_SMS_GRACE = 300
    verified(bob)
    before = timezone.now()
    send(alice, chat_actions.do_open_direct(alice, bob)[0], "call me back")
    deliver()
    assert twilio_server.requests == []  # not yet: bob may still look at it
    row = Notification.objects.get(channel="sms")
    assert row.due_at >= before + timedelta(seconds=300)
    assert due_now() == 1
    assert not twilio_server.problems, twilio_server.problems
    assert [(r["to"], r["body"]) for r in twilio_server.requests] == [(NUMBER, "alice: call me back")]


def test_in_a_channel_only_a_mention_is_texted_even_when_every_message_notifies(
    alice, bob, twilio_server, verified, deliver
):
    verified(bob)
    channel = chat_actions.do_create_conversation(alice, kind="channel", title="News", member_ids=[bob.pk])
    actions.do_update_conversation(bob, channel.id, {"level": "all"})
    send(alice, channel, "lunch, everyone?")
    send(alice, channel, "@all standup now")
    send(alice, channel, "@bob your car's lights are on")
    deliver()
    due_now()
    assert [r["body"] for r in twilio_server.requests] == ["alice in News: @bob your car's lights are on"]


def test_texts_stop_at_the_daily_limit(alice, bob, twilio_server, verified, deliver, settings):
    settings.NOTIFY_SMS_DAILY_LIMIT = 2
    verified(bob)
    conversation = chat_actions.do_open_direct(alice, bob)[0]
    for text in ("one", "two", "three"):
        send(alice, conversation, text)
        deliver()
        due_now()
    assert [r["body"] for r in twilio_server.requests] == ["alice: one", "alice: two"]
    assert Notification.objects.get(body="three").status == "skipped"


def test_a_read_message_is_not_texted(alice, bob, twilio_server, verified, deliver):
    verified(bob)
    conversation = chat_actions.do_open_direct(alice, bob)[0]
    message = send(alice, conversation, "never mind")
    deliver()
    chat_actions.do_mark_read(bob, conversation.id, message.seq)
    deliver()
    due_now()
    assert twilio_server.requests == []
