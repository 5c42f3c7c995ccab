"""APNs for iOS: token authentication over HTTP/2, at a local TLS server that speaks only HTTP/2
and checks the ES256 provider token, the apns-* headers and the payload as Apple's would."""

import pytest

from chats import actions as chat_actions
from notifications import actions, tasks
from notifications.models import DeliveryAttempt, Notification, PushDevice
from testkit.factories import send

pytestmark = pytest.mark.django_db

PHONE = "a1" * 32


def direct(a, b):
    return chat_actions.do_open_direct(a, b)[0]


def test_a_direct_message_reaches_an_iphone_as_an_alert_collapsed_by_conversation(alice, bob, apns_server, deliver):
    actions.do_register_device(bob, "apns", token=PHONE, locale="en")
    conversation = direct(alice, bob)
    send(alice, conversation, "see you at 8")
    send(alice, conversation, "bring the map")
    deliver()
    assert not apns_server.problems, apns_server.problems
    assert [r["device"] for r in apns_server.requests] == [PHONE, PHONE]
    first = apns_server.requests[0]
    assert first["push_type"] == "alert"
    assert first["collapse_id"] == f"conversation-{conversation.id}"
    assert first["payload"]["aps"]["alert"] == {"title": "alice", "body": "see you at 8"}
    assert first["payload"]["aps"]["thread-id"] == str(conversation.id)
    assert first["payload"]["conversation_id"] == str(conversation.id)
    assert apns_server.connections == 1  # one HTTP/2 connection carries both pushes
    assert set(Notification.objects.values_list("status", flat=True)) == {"sent"}


def test_the_devices_app_id_is_its_topic(alice, bob, apns_server, deliver):
    actions.do_register_device(bob, "apns", token=PHONE, app_id="org.other.app")
    send(alice, direct(alice, bob), "hi")
    deliver()
    # The test server knows only org.chatsite.ios, as APNs refuses a topic the key may not push to.
    assert apns_server.problems and "org.other.app" in apns_server.problems[0]
    assert DeliveryAttempt.objects.get().outcome == "error"


@pytest.mark.parametrize(
    "status,reason",
    [(410, {"reason": "Unregistered", "timestamp": 1700000000000}), (400, {"reason": "BadDeviceToken"})],
)
def test_a_token_apns_calls_gone_is_removed(alice, bob, apns_server, deliver, status, reason):
    actions.do_register_device(bob, "apns", token=PHONE)
    apns_server.answers = [(status, {}, reason)]
    send(alice, direct(alice, bob), "anyone there?")
    deliver()
    assert not apns_server.problems, apns_server.problems
    assert not PushDevice.objects.filter(user=bob).exists()
    attempt = DeliveryAttempt.objects.get()
    assert (attempt.outcome, attempt.status_code) == ("gone", status)
    assert reason["reason"] in attempt.error


def test_an_expired_provider_token_is_made_again_and_the_push_retried(alice, bob, apns_server, deliver, settings):
    settings.NOTIFY_RETRY_BACKOFF = 0  # the retry is due at once
    actions.do_register_device(bob, "apns", token=PHONE)
    apns_server.answers = [(403, {}, {"reason": "ExpiredProviderToken"}), (200, {}, b"")]
    send(alice, direct(alice, bob), "are you up?")
    deliver()
    assert Notification.objects.get().status == "pending"
    assert tasks.deliver_due() == 1
    assert not apns_server.problems, apns_server.problems
    assert [a.outcome for a in DeliveryAttempt.objects.order_by("pk")] == ["retry", "ok"]
    first, second = apns_server.requests
    assert first["token"] != second["token"]  # a new provider token, not the one APNs refused
    assert Notification.objects.get().status == "sent"
