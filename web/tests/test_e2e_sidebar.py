"""The conversation list as news comes: newest activity first, the badges and the tab title right,
when only the rows of the conversations that changed are redrawn and moved (opening one, a message
in another) rather than the whole list sorted again."""

import pytest
from playwright.sync_api import expect

from chats import actions
from testkit.services import wait_until
from web.tests.browser import user

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def names(page):
    return page.locator("button.conversation .name").all_inner_texts()


def test_news_lifts_its_conversation_to_the_top_and_opening_one_leaves_the_others_in_place(tabs):
    zoe, yan = user("zoe"), user("yan")
    rooms = {}
    for i in range(6):
        room = actions.do_create_conversation(yan, kind="group", title=f"Room {i}", member_ids=[zoe.pk])
        actions.do_send_message(yan, room.id, text=f"first {i}", client_id=f"sb-first-{i}")
        rooms[i] = room
    z = tabs().sign_in("zoe")
    page = z.page
    newest_first = [f"Room {i}" for i in (5, 4, 3, 2, 1, 0)]
    wait_until(lambda: names(page) == newest_first, "the rooms newest first", seen=lambda: names(page))
    expect(page).to_have_title("(6) chatsite")

    # Rows the page keeps carry a mark; a row drawn anew would not.
    page.evaluate("document.querySelectorAll('#conversations > li').forEach((li) => { li.kept = true; })")
    z.open_conversation("Room 2")
    expect(page).to_have_title("(5) chatsite")
    expect(z.conversation("Room 2").locator(".badge")).to_have_count(0)
    assert names(page) == newest_first  # opening is no news: nothing moves

    # News in an older room, then in a middle one, back to back: each goes to the top in turn.
    actions.do_send_message(yan, rooms[0].id, text="later 0", client_id="sb-later-0")
    actions.do_send_message(yan, rooms[3].id, text="later 3", client_id="sb-later-3")
    expected = ["Room 3", "Room 0", "Room 5", "Room 4", "Room 2", "Room 1"]
    wait_until(lambda: names(page) == expected, "the rooms with news on top", seen=lambda: names(page))
    expect(page).to_have_title("(7) chatsite")
    expect(z.conversation("Room 0").locator(".badge")).to_have_text("2")
    expect(z.conversation("Room 3").locator(".last")).to_have_text("yan: later 3")
    kept = page.evaluate(
        "[...document.querySelectorAll('#conversations > li')].filter((li) => li.kept)"
        ".map((li) => li.querySelector('.name').textContent)"
    )
    assert kept == ["Room 5", "Room 4", "Room 1"]  # the rows with no news were neither redrawn nor lost

    # A reload of the page draws the same order from the server's list.
    page.reload()
    expect(page.locator("#connection")).to_have_attribute("data-state", "online")
    wait_until(lambda: names(page) == expected, "the same order after a reload", seen=lambda: names(page))
