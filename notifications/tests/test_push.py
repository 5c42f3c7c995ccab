"""Who gets a Web Push for a message, checked at a local push service that verifies the VAPID
signature and decrypts the aes128gcm body as a browser's push service and browser would."""

import time
import zoneinfo
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from chats import actions as chat_actions
from gateway import presence
from graph import actions as graph_actions
from notifications import actions, planner, tasks
from notifications.models import DeliveryAttempt, Notification, PushDevice
from streaming.models import OutboxEvent
from testkit.factories import send
from testkit.services import wait_until

pytestmark = pytest.mark.django_db


@pytest.fixture
def phone_of(push_server):
    """Register a browser subscription at the test push service for a person -> the Subscription."""

    def register(user):
        subscription = push_server.subscribe(user.username)
        actions.do_register_device(user, "webpush", subscription=subscription.as_json())
        return subscription

    return register


def pushed(push_server):
    assert not push_server.problems, push_server.problems
    return [r["payload"] for r in push_server.requests]


def direct(a, b):
    return chat_actions.do_open_direct(a, b)[0]


def test_a_direct_message_pushes_to_every_device_of_the_recipient_and_not_the_sender(
    alice, bob, push_server, phone_of, deliver
):
    phone_of(bob), phone_of(bob), phone_of(alice)
    conversation = direct(alice, bob)
    message = send(alice, conversation, "lunch at noon?")
    deliver()
    payloads = pushed(push_server)
    assert len(payloads) == 2
    assert {p["title"] for p in payloads} == {"alice"}
    assert {p["body"] for p in payloads} == {"lunch at noon?"}
    assert {p["message_id"] for p in payloads} == {str(message.id)}
    assert payloads[0]["url"] == f"/c/{conversation.id}"
    assert {r["path"].split("/")[2].split("-")[0] for r in push_server.requests} == {"bob"}
    assert {r["topic"] for r in push_server.requests} == {conversation.id.hex}


def test_push_can_hide_the_text(alice, bob, push_server, phone_of, deliver):
    phone_of(bob)
    actions.do_update_preferences(bob, {"push_shows_text": False})
    send(alice, direct(alice, bob), "the secret plan")
    deliver()
    assert [p["body"] for p in pushed(push_server)] == ["New message from alice"]


def test_group_messages_follow_the_level_and_mentions_always_reach(alice, bob, group, push_server, phone_of, deliver):
    phone_of(bob)
    send(alice, group, "for everyone")
    deliver()
    assert len(pushed(push_server)) == 1
    actions.do_update_preferences(bob, {"level": "mentions"})
    send(alice, group, "still for everyone")
    send(alice, group, "@bob look at this")
    deliver()
    assert [p["body"] for p in pushed(push_server)][1:] == ["@bob look at this"]
    actions.do_update_conversation(bob, group.id, {"level": "nothing"})
    send(alice, group, "@bob again")
    deliver()
    assert len(pushed(push_server)) == 2


def test_in_channels_only_mentions_keywords_and_allowed_at_all_notify(alice, bob, push_server, phone_of, deliver):
    phone_of(bob)
    channel = chat_actions.do_create_conversation(alice, kind="channel", title="News", member_ids=[bob.pk])
    actions.do_update_preferences(bob, {"keywords": ["release"]})
    for text in ("just chatting", "the Release is out", "released nothing", "@all standup now"):
        send(alice, channel, text)
    deliver()
    assert sorted(p["body"] for p in pushed(push_server)) == ["@all standup now", "the Release is out"]
    actions.do_update_conversation(alice, channel.id, {"mention_all_notifies": False})
    send(alice, channel, "@all again")
    deliver()
    assert len(pushed(push_server)) == 2
    actions.do_update_conversation(bob, channel.id, {"level": "all"})  # every message of this channel
    send(alice, channel, "just chatting")
    deliver()
    assert pushed(push_server)[-1]["body"] == "just chatting"
    assert pushed(push_server)[-1]["title"] == "alice in News"


def test_muted_people_and_conversations_get_nothing_until_the_mute_ends(alice, bob, push_server, phone_of, deliver):
    phone_of(bob)
    conversation = direct(alice, bob)
    actions.do_update_preferences(bob, {"muted_until": timezone.now() + timedelta(hours=1)})
    send(alice, conversation, "one")
    deliver()
    actions.do_update_preferences(bob, {"muted_until": timezone.now() - timedelta(minutes=1)})
    actions.do_update_conversation(bob, conversation.id, {"muted_until": timezone.now() + timedelta(hours=1)})
    send(alice, conversation, "two")
    deliver()
    assert pushed(push_server) == []
    actions.do_update_conversation(bob, conversation.id, {"muted_until": None})
    send(alice, conversation, "three")
    deliver()
    assert [p["body"] for p in pushed(push_server)] == ["three"]


def _hours_around_now(zone):
    local = datetime.now(zoneinfo.ZoneInfo(zone))
    return (local - timedelta(hours=1)).time().replace(second=0, microsecond=0), (
        local + timedelta(hours=1)
    ).time().replace(second=0, microsecond=0)


def test_do_not_disturb_hours_in_the_persons_time_zone_hold_pushes_but_not_the_digest(
    alice, bob, push_server, phone_of, deliver
):
    phone_of(bob)
    bob.email = "bob@example.org"
    bob.save()
    start, end = _hours_around_now("Pacific/Auckland")
    actions.do_update_preferences(bob, {"dnd_start": start, "dnd_end": end, "time_zone": "Pacific/Auckland"})
    send(alice, direct(alice, bob), "late night")
    deliver()
    assert pushed(push_server) == []
    assert Notification.objects.filter(user=bob, channel="email").count() == 1
    # The same hours in a zone where it is now the middle of the day elsewhere do not hold it.
    other = "America/Lima" if start.hour not in range(4, 20) else "Pacific/Auckland"
    far_start = (datetime.now(zoneinfo.ZoneInfo(other)) + timedelta(hours=6)).time().replace(second=0, microsecond=0)
    far_end = (datetime.now(zoneinfo.ZoneInfo(other)) + timedelta(hours=8)).time().replace(second=0, microsecond=0)
    actions.do_update_preferences(bob, {"dnd_start": far_start, "dnd_end": far_end, "time_zone": other})
    send(alice, direct(alice, bob), "morning")
    deliver()
    assert [p["body"] for p in pushed(push_server)] == ["morning"]


def test_nothing_for_a_message_from_someone_the_recipient_blocked(alice, bob, carol, push_server, phone_of, deliver):
    phone_of(bob)
    group = chat_actions.do_create_conversation(alice, kind="group", title="Three", member_ids=[bob.pk, carol.pk])
    graph_actions.do_block(bob, carol)
    send(carol, group, "hi bob")
    send(alice, group, "hi all")
    deliver()
    assert [p["body"] for p in pushed(push_server)] == ["hi all"]


def test_nothing_for_a_message_read_or_deleted_before_its_push(alice, bob, push_server, phone_of, deliver, settings):
    settings.NOTIFY_PUSH_GRACE = 60  # the push waits, as e-mail does, so the read and delete come first
    phone_of(bob)
    conversation = direct(alice, bob)
    read = send(alice, conversation, "read on the laptop")
    gone = send(alice, conversation, "oops")
    deliver()
    chat_actions.do_mark_read(bob, conversation.id, read.seq)
    chat_actions.do_delete_message(alice, conversation.id, gone.id)
    Notification.objects.update(due_at=timezone.now())
    deliver()  # the deletion's event drops its pending push at once
    tasks.deliver_due()
    assert pushed(push_server) == []
    assert set(Notification.objects.values_list("status", flat=True)) == {"skipped"}


def test_a_device_whose_person_is_looking_at_the_conversation_gets_no_push(alice, bob, push_server, phone_of, deliver):
    phone_of(bob)
    conversation = direct(alice, bob)
    presence.saw_conversation(bob.pk, conversation.id)
    send(alice, conversation, "you see this live")
    deliver()
    assert pushed(push_server) == []
    other = chat_actions.do_create_conversation(alice, kind="group", title="Other", member_ids=[bob.pk])
    send(alice, other, "elsewhere")
    deliver()
    assert [p["body"] for p in pushed(push_server)] == ["elsewhere"]


def test_a_redelivered_event_pushes_nothing_twice(alice, bob, push_server, phone_of, deliver):
    phone_of(bob)
    send(alice, direct(alice, bob), "once")
    deliver()
    event = OutboxEvent.objects.get(type="message.created")
    for _ in range(3):  # the handler itself, as a replay past the dedupe records would run it
        planner.plan(event.envelope())
    deliver(again=True)  # the consumer group's dedupe
    tasks.deliver_due()
    assert len(pushed(push_server)) == 1
    assert Notification.objects.count() == 1


def test_429_and_5xx_are_retried_after_retry_after_and_each_attempt_is_logged(
    alice, bob, push_server, phone_of, deliver
):
    phone_of(bob)
    push_server.answers = [(429, {"Retry-After": "1"}, b""), (503, {}, b""), (201, {}, b"")]
    send(alice, direct(alice, bob), "eventually")
    deliver()
    notification = Notification.objects.get()
    assert notification.status == "pending"
    assert notification.due_at >= timezone.now() + timedelta(milliseconds=500)  # Retry-After: 1 was kept
    assert tasks.deliver_due() == 0  # not due yet

    def sent():
        tasks.deliver_due()
        return Notification.objects.get().status == "sent"

    wait_until(sent, "the push to go out after its retries")
    outcomes = list(DeliveryAttempt.objects.order_by("created_at").values_list("outcome", "status_code"))
    assert outcomes == [("retry", 429), ("retry", 503), ("ok", 201)]
    # Each attempt is an event for analytics' deliveries and failures.
    events = OutboxEvent.objects.filter(type__startswith="notification.").order_by("occurred_at")
    assert [(e.type, e.payload["outcome"], e.payload["status_code"], e.payload["user_id"]) for e in events] == [
        ("notification.failed", "retry", 429, bob.pk),
        ("notification.failed", "retry", 503, bob.pk),
        ("notification.delivered", "ok", 201, bob.pk),
    ]
    assert len(pushed(push_server)) == 3
    assert all(a.latency_ms >= 0 and a.channel == "push" for a in DeliveryAttempt.objects.all())


def test_a_subscription_the_service_calls_gone_is_removed(alice, bob, push_server, phone_of, deliver):
    phone_of(bob)
    push_server.answers = [(410, {}, b"")]
    send(alice, direct(alice, bob), "anyone there?")
    deliver()
    assert not PushDevice.objects.filter(user=bob).exists()
    assert DeliveryAttempt.objects.get().outcome == "gone"
    assert Notification.objects.get().status == "failed"


def test_a_service_that_keeps_failing_is_given_up_after_the_last_try(
    alice, bob, push_server, phone_of, deliver, settings
):
    settings.NOTIFY_MAX_TRIES = 2
    phone_of(bob)
    push_server.answers = [(500, {}, b"")]
    send(alice, direct(alice, bob), "hello?")
    deliver()

    def settled():
        tasks.deliver_due()
        return Notification.objects.get().status == "failed"

    wait_until(settled, "the push to be given up")
    assert DeliveryAttempt.objects.count() == 2


def test_the_admin_shows_the_delivery_log_with_filters(alice, bob, push_server, phone_of, deliver, client):
    phone_of(bob)
    send(alice, direct(alice, bob), "logged")
    deliver()
    alice.is_staff = alice.is_superuser = True
    alice.save()
    client.force_login(alice)
    page = client.get("/admin/notifications/deliveryattempt/?channel__exact=push&outcome__exact=ok")
    assert page.status_code == 200
    assert page.context_data["cl"].result_count == 1
    assert b"bob" in page.content
    assert client.get("/admin/notifications/deliveryattempt/?outcome__exact=gone").context_data["cl"].result_count == 0


def test_the_push_latency_is_measured_from_the_commit(alice, bob, push_server, phone_of, deliver):
    phone_of(bob)
    before = time.time()
    send(alice, direct(alice, bob), "timed")
    deliver()
    notification = Notification.objects.get()
    assert before - 1 <= notification.occurred_at.timestamp() <= notification.sent_at.timestamp()


def test_devices_of_a_kind_without_an_adapter_wait_and_the_others_get_their_push(
    alice, bob, push_server, phone_of, deliver, settings
):
    settings.NOTIFY_ADAPTERS = {**settings.NOTIFY_ADAPTERS, "apns": ""}
    phone_of(bob)
    actions.do_register_device(bob, "apns", token="ab" * 32)
    send(alice, direct(alice, bob), "to the browser only")
    deliver()
    assert [p["body"] for p in pushed(push_server)] == ["to the browser only"]
    assert Notification.objects.count() == 1
