"""Conversations and their members in the admin: found by title, id or member, and only looked at."""

import pytest

from chats.models import Membership
from moderation.tests.helpers import MESSAGES, REPORTS
from testkit.factories import send

pytestmark = pytest.mark.django_db

CONVERSATIONS = "/admin/chats/conversation/"


@pytest.mark.parametrize("query", ["bob", "Team", "not-an-id"])
def test_conversations_are_found_by_member_or_title_and_odd_input_is_no_error(browser, moderator, group, query):
    page = browser(moderator).get(CONVERSATIONS, {"q": query})
    assert page.status_code == 200
    expected = [] if query == "not-an-id" else [group]
    assert list(page.context["cl"].result_list) == expected


def test_a_conversation_is_found_by_its_id_and_links_to_its_messages(browser, moderator, group):
    page = browser(moderator).get(CONVERSATIONS, {"q": str(group.id)})
    assert list(page.context["cl"].result_list) == [group]
    assert f"{MESSAGES}?conversation={group.id}".encode() in page.content


def test_members_are_shown_but_not_edited_here(browser, moderator, alice, bob, group):
    admin = browser(moderator)
    page = admin.get(f"{CONVERSATIONS}{group.id}/change/")
    assert page.status_code == 200
    assert b"alice" in page.content and b"bob" in page.content
    assert admin.post(f"{CONVERSATIONS}{group.id}/change/", {"title": "Renamed"}).status_code == 403
    assert set(Membership.objects.filter(conversation=group).values_list("user__username", flat=True)) == {
        "alice",
        "bob",
    }


def test_the_reports_queue_takes_any_search_text(browser, moderator, alice, group):
    send(alice, group, "x")
    for query in ("spam", "not-an-id", "00000000-0000-0000-0000-000000000000"):
        assert browser(moderator).get(REPORTS, {"q": query}).status_code == 200
