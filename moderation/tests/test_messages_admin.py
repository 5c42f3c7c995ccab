"""Message search and deletion with a reason, through the admin's own pages, on every message store."""

import uuid

import pytest

from chats import actions as chat_actions
from moderation import actions as moderation_actions
from moderation.models import AuditLog, MessageReport
from moderation.tests.helpers import MESSAGES, notes
from streaming.models import OutboxEvent
from testkit.factories import send

pytestmark = pytest.mark.django_db


def delete_url(message_id):
    return f"{MESSAGES}{message_id}/delete/"


def test_a_moderator_finds_messages_by_their_words_in_any_conversation(store, browser, moderator, alice, group):
    send(alice, group, "buy cheap watches now")
    send(alice, group, "see you at lunch")
    page = browser(moderator).get(MESSAGES, {"q": "watches"})
    assert page.status_code == 200
    assert [r["message"].text for r in page.context["rows"]] == ["buy cheap watches now"]
    assert page.context["rows"][0]["sender"] == alice
    assert b"Delete" in page.content


def test_a_conversation_lists_its_messages_and_tombstones(store, browser, moderator, alice, group):
    kept = send(alice, group, "kept")
    gone = send(alice, group, "gone")
    chat_actions.do_delete_message(alice, group.id, gone.id)
    page = browser(moderator).get(MESSAGES, {"conversation": str(group.id)})
    rows = [(r["message"].id, r["message"].is_deleted) for r in page.context["rows"]]
    assert rows == [(gone.id, True), (kept.id, False)]  # newest first, as search lists them


def test_a_malformed_conversation_id_is_a_form_error(browser, moderator):
    page = browser(moderator).get(MESSAGES, {"conversation": "not-an-id"})
    assert page.status_code == 200
    assert b"Enter a valid UUID." in page.content


def test_a_moderator_deletes_a_message_with_a_reason_and_the_author_sees_the_tombstone(
    store, browser, moderator, alice, bob, group, client_for
):
    message = send(bob, group, "something vile")
    admin = browser(moderator)
    form = admin.get(delete_url(message.id))
    assert form.status_code == 200 and b"something vile" in form.content

    response = admin.post(delete_url(message.id), {"reason": "hate speech"})

    assert response.status_code == 302
    assert notes(response) == [f"Deleted message {message.id}."]
    author = client_for(bob)
    [shown] = author.get(f"/api/v1/conversations/{group.id}/messages").json()["results"]
    assert (shown["id"], shown["deleted"], shown["text"]) == (str(message.id), True, "")
    events = author.get(f"/api/v1/conversations/{group.id}/events", {"after": message.seq}).json()["results"]
    assert [(e["type"], e["actor_id"], e["message"]["deleted"]) for e in events] == [
        ("message.deleted", moderator.pk, True)
    ]
    [entry] = AuditLog.objects.all()
    assert (entry.action, entry.target_type, entry.target_id, entry.reason) == (
        "delete_message",
        "message",
        str(message.id),
        "hate speech",
    )
    assert entry.details["text"] == "something vile"  # the tombstone forgets it; the moderators' log does not
    assert OutboxEvent.objects.get(type="message.deleted").payload["seq"] == events[0]["seq"]


def test_deleting_without_a_reason_shows_the_form_again_and_deletes_nothing(store, browser, moderator, alice, group):
    message = send(alice, group, "stays")
    page = browser(moderator).post(delete_url(message.id), {"reason": ""})
    assert page.status_code == 200
    assert b"This field is required." in page.content
    assert not store.get(message.id).is_deleted
    assert not AuditLog.objects.exists()


@pytest.mark.parametrize("message_id", ["not-a-uuid", str(uuid.uuid4())])
def test_an_unknown_message_is_an_admin_error_not_a_crash(browser, moderator, message_id):
    admin = browser(moderator)
    for response in (admin.get(delete_url(message_id)), admin.post(delete_url(message_id), {"reason": "x"})):
        assert response.status_code == 302
        assert notes(response) == [f"No message with the id {message_id!r}."]


def test_deleting_a_message_twice_is_an_admin_error(store, browser, moderator, alice, group):
    message = send(alice, group, "once")
    admin = browser(moderator)
    admin.post(delete_url(message.id), {"reason": "spam"})
    again = admin.post(delete_url(message.id), {"reason": "spam"})
    assert again.status_code == 302
    assert notes(again)[-1] == "This message was already deleted."  # after the first post's own note
    assert AuditLog.objects.count() == 1


def test_deleting_a_message_resolves_its_open_reports_as_actioned(store, browser, moderator, alice, bob, group):
    message = send(alice, group, "rude")
    report = moderation_actions.do_report_message(bob, group.id, message.id, "rude")
    browser(moderator).post(delete_url(message.id), {"reason": "rude"})
    report.refresh_from_db()
    assert (report.status, report.resolved_by) == (MessageReport.Status.ACTIONED, moderator)
    assert [e.action for e in AuditLog.objects.order_by("id")] == ["delete_message", "resolve_report"]
    assert OutboxEvent.objects.get(type="moderation.resolved").payload["action"] == "actioned"


def test_staff_without_the_permissions_get_403(browser, onlooker, make_user, alice, group):
    message = send(alice, group, "safe")
    looking = browser(onlooker)
    assert looking.get(MESSAGES, {"q": "safe"}).status_code == 200
    assert b"Delete" not in looking.get(MESSAGES, {"q": "safe"}).content
    assert looking.get(delete_url(message.id)).status_code == 403
    assert looking.post(delete_url(message.id), {"reason": "no"}).status_code == 403
    stranger = browser(make_user("intern", is_staff=True))
    assert stranger.get(MESSAGES, {"q": "safe"}).status_code == 403
    assert not AuditLog.objects.exists()


def test_the_admin_index_lists_the_moderation_screens(browser, moderator):
    index = browser(moderator).get("/admin/")
    assert index.status_code == 200
    for url in (MESSAGES, "/admin/moderation/auditlog/", "/admin/moderation/ban/", "/admin/moderation/messagereport/"):
        assert url.encode() in index.content
