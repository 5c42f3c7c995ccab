"""A message read on one device is withdrawn from the others, on each channel that can take a
notification back, and every push carries the person's unread count as the badge."""

import pytest

from chats import actions as chat_actions
from notifications import actions
from notifications.models import Notification
from testkit.factories import send

pytestmark = pytest.mark.django_db

PHONE = "c3" * 32


def direct(a, b):
    return chat_actions.do_open_direct(a, b)[0]


@pytest.fixture
def browser_of(push_server):
    def register(user):
        subscription = push_server.subscribe(user.username)
        actions.do_register_device(user, "webpush", subscription=subscription.as_json())
        return subscription

    return register


def test_reading_withdraws_the_browser_notification_by_its_tag_with_the_new_badge(
    alice, bob, carol, push_server, browser_of, deliver
):
    browser_of(bob)
    conversation = direct(alice, bob)
    for sender, where, text in ((alice, conversation, "one"), (alice, conversation, "two"), (carol, None, "hi")):
        last = send(sender, where or direct(carol, bob), text)
        deliver()
    last = send(alice, conversation, "three")
    deliver()
    # The badge is the unread count when each push goes.
    assert [r["payload"]["badge"] for r in push_server.requests] == [1, 2, 3, 4]

    chat_actions.do_mark_read(bob, conversation.id, last.seq)
    deliver()
    assert not push_server.problems, push_server.problems
    withdrawal = push_server.requests[-1]
    assert len(push_server.requests) == 5  # one withdrawal for the device, not one per message
    assert withdrawal["payload"]["type"] == "withdraw"
    assert withdrawal["payload"]["tag"] == f"conversation-{conversation.id}"
    assert withdrawal["payload"]["badge"] == 1  # carol's message is still unread
    assert withdrawal["topic"] == conversation.id.hex  # it replaces a message push not yet delivered
    statuses = Notification.objects.filter(conversation_id=conversation.id).exclude(reason=Notification.WITHDRAWAL)
    assert set(statuses.values_list("status", flat=True)) == {"withdrawn"}


def test_a_redelivered_read_event_withdraws_nothing_twice(alice, bob, push_server, browser_of, deliver):
    browser_of(bob)
    conversation = direct(alice, bob)
    message = send(alice, conversation, "hello")
    deliver()
    chat_actions.do_mark_read(bob, conversation.id, message.seq)
    deliver()
    deliver(again=True)
    assert [r["payload"]["type"] for r in push_server.requests] == ["message", "withdraw"]


def test_reading_before_the_push_went_withdraws_nothing_and_sends_nothing(
    alice, bob, push_server, browser_of, deliver, settings
):
    settings.NOTIFY_PUSH_GRACE = 60
    browser_of(bob)
    conversation = direct(alice, bob)
    message = send(alice, conversation, "seen at once")
    deliver()
    chat_actions.do_mark_read(bob, conversation.id, message.seq)
    deliver()
    assert push_server.requests == []
    assert Notification.objects.get().status == "skipped"


def test_reading_withdraws_the_android_notification_with_a_data_message_under_its_collapse_key(
    alice, bob, fcm_server, deliver
):
    actions.do_register_device(bob, "fcm", token="android-token-9")
    conversation = direct(alice, bob)
    message = send(alice, conversation, "ping")
    deliver()
    shown = fcm_server.requests[0]["message"]
    assert shown["android"]["notification"] == {"tag": f"conversation-{conversation.id}", "notification_count": 1}

    chat_actions.do_mark_read(bob, conversation.id, message.seq)
    deliver()
    assert not fcm_server.problems, fcm_server.problems
    withdrawal = fcm_server.requests[1]["message"]
    assert "notification" not in withdrawal  # nothing to show: the app removes the tag's notification
    assert withdrawal["data"]["type"] == "withdraw"
    assert withdrawal["data"]["tag"] == f"conversation-{conversation.id}"
    assert withdrawal["data"]["badge"] == "0"
    assert withdrawal["android"]["collapse_key"] == f"conversation-{conversation.id}"


def test_reading_withdraws_the_iphone_notification_with_a_background_push_and_the_badge(
    alice, bob, apns_server, deliver
):
    actions.do_register_device(bob, "apns", token=PHONE)
    conversation = direct(alice, bob)
    send(alice, conversation, "one")
    deliver()
    message = send(alice, conversation, "two")
    deliver()
    assert [r["payload"]["aps"]["badge"] for r in apns_server.requests] == [1, 2]

    chat_actions.do_mark_read(bob, conversation.id, message.seq)
    deliver()
    assert not apns_server.problems, apns_server.problems
    withdrawal = apns_server.requests[-1]
    assert len(apns_server.requests) == 3
    assert withdrawal["push_type"] == "background"
    assert withdrawal["payload"]["aps"] == {"content-available": 1, "badge": 0}
    assert withdrawal["payload"]["tag"] == f"conversation-{conversation.id}"


def test_reading_part_of_a_conversation_withdraws_only_up_to_the_read_marker(
    alice, bob, push_server, browser_of, deliver
):
    browser_of(bob)
    conversation = direct(alice, bob)
    first = send(alice, conversation, "one")
    send(alice, conversation, "two")
    deliver()
    chat_actions.do_mark_read(bob, conversation.id, first.seq)
    deliver()
    assert push_server.requests[-1]["payload"]["badge"] == 1
    rows = Notification.objects.exclude(reason=Notification.WITHDRAWAL).order_by("seq")
    assert list(rows.values_list("status", flat=True)) == ["withdrawn", "sent"]
