"""FCM v1 for Android: the OAuth2 token exchange and the send, at a local server that checks the
service account's signature and the v1 message schema as Google's would."""

import pytest

from chats import actions as chat_actions
from notifications import actions
from notifications.models import DeliveryAttempt, PushDevice
from testkit.factories import send

pytestmark = pytest.mark.django_db


def test_a_direct_message_reaches_an_android_phone_through_fcm_v1(alice, bob, fcm_server, deliver):
    actions.do_register_device(bob, "fcm", token="android-token-1", app_id="org.chatsite", locale="en")
    conversation = chat_actions.do_open_direct(alice, bob)[0]
    send(alice, conversation, "on my way")
    send(alice, conversation, "5 minutes")
    deliver()
    assert not fcm_server.problems, fcm_server.problems
    assert [r["token"] for r in fcm_server.requests] == ["android-token-1", "android-token-1"]
    message = fcm_server.requests[0]["message"]
    assert message["notification"] == {"title": "alice", "body": "on my way"}
    assert message["data"]["conversation_id"] == str(conversation.id)
    assert message["android"]["collapse_key"] == f"conversation-{conversation.id}"
    assert fcm_server.token_requests == 1  # the access token is kept until it nears its expiry


def test_an_unregistered_token_is_removed(alice, bob, fcm_server, deliver):
    actions.do_register_device(bob, "fcm", token="stale-token")
    fcm_server.answers = [
        (404, {}, {"error": {"code": 404, "status": "NOT_FOUND", "details": [{"errorCode": "UNREGISTERED"}]}})
    ]
    send(alice, chat_actions.do_open_direct(alice, bob)[0], "hello?")
    deliver()
    assert not PushDevice.objects.filter(user=bob).exists()
    assert DeliveryAttempt.objects.get().outcome == "gone"
