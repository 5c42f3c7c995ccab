import pytest
from rest_framework.test import APIClient

from chats import selectors as chat_selectors
from integrations import signing
from integrations.models import Delivery
from testkit.api import assert_error
from testkit.factories import send

pytestmark = pytest.mark.django_db


def make_hook(client, conversation, bot, url, trigger="mention"):
    response = client.post(
        f"/api/v1/conversations/{conversation.id}/outgoing-webhooks",
        {"bot_id": bot.pk, "url": url, "trigger": trigger},
        format="json",
    )
    assert response.status_code == 201, response.json()
    return response.json()


@pytest.fixture
def hooked(owner_client, room, bot, receiver, events_in_process):
    """An outgoing webhook of alice's bot on the room, mention-triggered, to the receiver."""

    def make(trigger="mention"):
        hook = make_hook(owner_client, room, bot[0], receiver.url, trigger)
        receiver.secret = hook["secret"]
        return hook

    return make


def say(user, room, text, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return send(user, room, text)


def texts(user, room):
    return [(m.sender_id, m.text) for m in chat_selectors.message_page(user, room.id)]


def test_a_mention_posts_a_signed_event_and_the_answer_becomes_the_bots_reply(
    hooked, receiver, room, bob, bot, django_capture_on_commit_callbacks
):
    hooked()
    receiver.answers.append((200, {"text": "pong"}))
    message = say(bob, room, "@echo ping", django_capture_on_commit_callbacks)
    [(verified, headers, event)] = receiver.received
    assert verified
    assert headers[signing.SIGNATURE_HEADER].startswith("v1=")
    assert event["event"] == "message.created"
    assert event["message"]["id"] == str(message.id) and event["message"]["text"] == "@echo ping"
    assert event["conversation_id"] == str(room.id) and event["bot"]["username"] == "echo"
    assert texts(bob, room) == [(bob.pk, "@echo ping"), (bot[0].pk, "pong")]
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 1, 200)


def test_without_a_mention_a_mention_hook_hears_nothing_and_an_all_hook_hears_it(
    hooked, receiver, room, bob, django_capture_on_commit_callbacks
):
    hooked("mention")
    say(bob, room, "just chatting", django_capture_on_commit_callbacks)
    assert receiver.received == []
    hooked("all")
    say(bob, room, "still chatting", django_capture_on_commit_callbacks)
    assert [event["message"]["text"] for _, _, event in receiver.received] == ["still chatting"]


def test_bots_messages_trigger_nothing_so_bots_cannot_loop(
    hooked, receiver, room, bot, alice, django_capture_on_commit_callbacks
):
    hooked("all")
    receiver.answers.append((200, {"text": "echo: hi"}))
    say(alice, room, "hi", django_capture_on_commit_callbacks)
    assert len(receiver.received) == 1  # the reply, sent by the bot, was not delivered back


def test_a_failing_receiver_is_retried_with_backoff_until_it_answers(
    hooked, receiver, room, bob, bot, settings, django_capture_on_commit_callbacks
):
    from integrations import outgoing

    settings.OUTGOING_WEBHOOK_MAX_ATTEMPTS = 5
    hooked()
    receiver.answers.extend([(503, None), (500, None), (200, {"text": "late pong"})])
    say(bob, room, "@echo ping", django_capture_on_commit_callbacks)
    assert len(receiver.received) == 3
    assert all(verified for verified, _, _ in receiver.received)
    assert len({event["message"]["id"] for _, _, event in receiver.received}) == 1  # the same event
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("delivered", 3)
    assert texts(bob, room)[-1] == (bot[0].pk, "late pong")
    settings.OUTGOING_WEBHOOK_RETRY_BACKOFF = 10
    assert [outgoing.backoff(n) for n in (1, 2, 3)] == [10, 20, 40]


def test_a_receiver_that_keeps_failing_is_given_up_after_the_last_attempt(
    hooked, receiver, room, bob, settings, django_capture_on_commit_callbacks
):
    settings.OUTGOING_WEBHOOK_MAX_ATTEMPTS = 3
    hooked()
    receiver.answers.extend([(503, None)] * 5)
    say(bob, room, "@echo ping", django_capture_on_commit_callbacks)
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("failed", 3, "HTTP 503")
    assert len(receiver.received) == 3


def test_a_client_error_is_not_retried(hooked, receiver, room, bob, django_capture_on_commit_callbacks):
    hooked()
    receiver.answers.append((404, None))
    say(bob, room, "@echo ping", django_capture_on_commit_callbacks)
    assert Delivery.objects.get().status == "failed" and len(receiver.received) == 1


def test_a_signature_made_with_another_secret_is_refused_by_the_receiver(
    hooked, receiver, room, bob, django_capture_on_commit_callbacks
):
    hooked()
    receiver.secret = "not-the-secret"
    say(bob, room, "@echo ping", django_capture_on_commit_callbacks)
    assert [verified for verified, _, _ in receiver.received] == [False]
    assert Delivery.objects.get().last_status_code == 401


def test_the_signature_binds_the_body_and_the_timestamp():
    body = b'{"a":1}'
    headers = signing.headers("s3cret", body, now=1_000_000)
    timestamp, given = headers[signing.TIMESTAMP_HEADER], headers[signing.SIGNATURE_HEADER]
    assert signing.verify("s3cret", timestamp, given, body, now=1_000_010)
    assert not signing.verify("s3cret", timestamp, given, b'{"a":2}', now=1_000_010)
    assert not signing.verify("other", timestamp, given, body, now=1_000_010)
    # A replay: the same request, accepted when fresh, is refused once the window has passed.
    assert not signing.verify("s3cret", timestamp, given, body, now=1_000_000 + signing.TOLERANCE_SECONDS + 1)
    assert not signing.verify("s3cret", "1000001", given, body, now=1_000_010)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/hook",
        "http://localhost/hook",
        "http://10.0.0.5/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://0.0.0.0/hook",
        "ftp://example.com/hook",
        "http://user:pass@example.com/hook",
        "javascript:alert(1)",
    ],
)
def test_private_local_and_odd_urls_are_refused(owner_client, room, bot, url):
    response = owner_client.post(
        f"/api/v1/conversations/{room.id}/outgoing-webhooks",
        {"bot_id": bot[0].pk, "url": url},
        format="json",
    )
    assert_error(response, 400, "invalid")


def test_an_address_that_turned_private_after_creation_is_not_contacted(
    hooked, receiver, room, bob, settings, django_capture_on_commit_callbacks
):
    hooked()
    settings.OUTBOUND_ALLOWED_NETWORKS = []  # as if the name now resolved to this machine
    say(bob, room, "@echo ping", django_capture_on_commit_callbacks)
    assert receiver.received == []
    delivery = Delivery.objects.get()
    assert delivery.status == "failed" and "private or local" in delivery.last_error


def test_only_admins_manage_outgoing_webhooks_and_the_secret_is_shown_once(owner_client, room, bot, bob, receiver):
    hook = make_hook(owner_client, room, bot[0], receiver.url)
    listed = owner_client.get(f"/api/v1/conversations/{room.id}/outgoing-webhooks").json()["results"]
    assert [h["id"] for h in listed] == [hook["id"]] and "secret" not in listed[0]
    bobs = APIClient()
    bobs.force_authenticate(bob)
    assert_error(bobs.get(f"/api/v1/conversations/{room.id}/outgoing-webhooks"), 403)
    assert_error(bobs.delete(f"/api/v1/conversations/{room.id}/outgoing-webhooks/{hook['id']}"), 403)
    assert owner_client.delete(f"/api/v1/conversations/{room.id}/outgoing-webhooks/{hook['id']}").status_code == 204
