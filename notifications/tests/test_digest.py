"""The e-mail digest, received by a real SMTP server (aiosmtpd) started by the test."""

import email
import email.policy
import socket
import zoneinfo
from urllib.parse import urlsplit

import pytest
from aiosmtpd.controller import Controller
from django.utils import formats, timezone

from chats import actions as chat_actions
from notifications import actions, tasks
from notifications.models import Digest, Notification
from testkit.factories import send
from testkit.services import wait_until

pytestmark = pytest.mark.django_db


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted for delivery"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp(settings):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS = False
    settings.SITE_URL = "https://chat.example.org"
    yield inbox
    controller.stop()


@pytest.fixture
def reader(bob):
    bob.email = "bob@example.org"
    bob.save()
    actions.do_update_preferences(bob, {"time_zone": "Asia/Tokyo"})
    return bob


def parsed(raw):
    return email.message_from_bytes(raw, policy=email.policy.default)


def make_due():
    Digest.objects.update(due_at=timezone.now())


def test_missed_messages_arrive_as_one_digest_grouped_by_conversation(alice, carol, reader, smtp, deliver, client):
    dm = chat_actions.do_open_direct(alice, reader)[0]
    group = chat_actions.do_create_conversation(alice, kind="group", title="Team", member_ids=[reader.pk, carol.pk])
    first = send(alice, dm, "are you there?")
    deliver()
    assert tasks.send_due_digests() == 0  # the grace has not passed
    send(carol, group, "<b>standup</b> moved")
    send(alice, dm, "ping")
    deliver()
    assert Digest.objects.filter(user=reader, sent_at=None).count() == 1  # later messages joined it
    make_due()
    assert tasks.send_due_digests() == 1
    wait_until(lambda: smtp.messages, "the digest at the SMTP server")
    assert len(smtp.messages) == 1
    sender, recipients, raw = smtp.messages[0]
    assert sender == "noreply@localhost"
    assert recipients == ["bob@example.org"]
    mail = parsed(raw)
    assert mail["Subject"] == "3 new messages on chatsite"
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert text.index("alice") < text.index("are you there?") < text.index("ping")
    assert "carol in Team" in text and "<b>standup</b> moved" in text
    assert f"https://chat.example.org/c/{dm.id}" in text and f"https://chat.example.org/c/{group.id}" in html
    assert "&lt;b&gt;standup&lt;/b&gt; moved" in html and "<b>standup" not in html
    tokyo = timezone.localtime(
        Notification.objects.get(message_id=first.id).occurred_at, zoneinfo.ZoneInfo("Asia/Tokyo")
    )
    assert formats.date_format(tokyo, "DATETIME_FORMAT") in text
    assert tokyo.isoformat()[:16] in html and "+09:00" in html
    assert set(Notification.objects.filter(channel="email").values_list("status", flat=True)) == {"sent"}

    # One-click unsubscribe (RFC 8058): the header's URL, POSTed as a mail client does.
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = str(mail["List-Unsubscribe"]).strip().strip("<>")
    assert url in text
    path = urlsplit(url)
    assert client.get(f"{path.path}?{path.query}").status_code == 200  # a page, no change yet
    assert "email" in actions.preferences_of(reader).channels["direct"]
    done = client.post(
        f"{path.path}?{path.query}", "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert done.status_code == 200
    assert all("email" not in chosen for chosen in actions.preferences_of(reader).channels.values())
    send(alice, dm, "after unsubscribing")
    deliver()
    assert not Notification.objects.filter(channel="email", status="pending").exists()


def test_a_forged_unsubscribe_token_changes_nothing(reader, client):
    response = client.post(
        "/api/v1/notifications/unsubscribe?token=1:forged",
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 400
    assert "email" in actions.preferences_of(reader).channels["direct"]


def test_messages_read_before_the_digest_is_due_are_left_out(alice, reader, smtp, deliver):
    dm = chat_actions.do_open_direct(alice, reader)[0]
    send(alice, dm, "read in time")
    deliver()
    chat_actions.do_mark_read(reader, dm.id, 1_000)
    make_due()
    assert tasks.send_due_digests() == 0
    assert smtp.messages == []
    send(alice, dm, "not read")
    deliver()
    make_due()
    assert tasks.send_due_digests() == 1
    wait_until(lambda: smtp.messages, "the digest")
    text = parsed(smtp.messages[0][2]).get_body(("plain",)).get_content()
    assert "not read" in text and "read in time" not in text


def test_an_smtp_failure_keeps_the_digest_for_later(alice, reader, deliver, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nobody listens
    send(alice, chat_actions.do_open_direct(alice, reader)[0], "hello")
    deliver()
    make_due()
    assert tasks.send_due_digests() == 0
    digest = Digest.objects.get(user=reader)
    assert digest.sent_at is None and digest.due_at > timezone.now()
    assert Notification.objects.get().status == "pending"
    assert Notification.objects.get().attempts.get().outcome == "error"
