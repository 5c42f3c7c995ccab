"""Threads' loose ends in the browser: the main log's pages count top-level messages only, the thread
panel pages back to the start of its thread, and a reply written offline is sent once on reconnect."""

import re

import pytest
from playwright.sync_api import expect

from chats import actions
from chats.models import StoredMessage
from web.tests.browser import user

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def panel(tab):
    return tab.page.locator("#thread-panel")


def test_a_conversation_whose_newest_messages_are_replies_still_shows_a_full_page(tabs):
    ivy, jon = user("ivy"), user("jon")
    busy = actions.do_create_conversation(ivy, kind="group", title="Busy", member_ids=[jon.pk])
    tops = [actions.do_send_message(jon, busy.id, text=f"top {n}", client_id=f"top-{n}")[0] for n in range(1, 71)]
    for n in range(1, 61):  # the newest 60 messages are all replies, in the thread of the last one
        last, _ = actions.do_send_message(
            ivy, busy.id, text=f"reply {n}", client_id=f"reply-{n}", thread_root=tops[-1].id
        )
    # All read: the log opens at its newest message (not at the first unread, near the top, which
    # would bring the older-history loader into view at once).
    actions.do_mark_read(ivy, busy.id, last.seq)

    i = tabs().sign_in("ivy")
    i.open_conversation("Busy")
    expect(i.page.locator("#message-list .message")).to_have_count(50)
    assert i.texts() == [f"top {n}" for n in range(21, 71)]
    expect(i.message("top 70").locator(".thread-summary")).to_contain_text("60 replies")

    i.to_top("#messages")
    expect(i.page.locator("#history-status")).to_have_text("This is the start of the conversation.")
    assert i.texts() == [f"top {n}" for n in range(1, 71)]  # older pages: top-level too, none twice


def open_long_thread(tabs, replies):
    """Kim's question in Crew with `replies` notes from Lou in its thread, open in Kim's panel:
    (Kim's tab, Lou, the conversation, the root, the panel's reply texts)."""
    kim, lou = user("kim"), user("lou")
    crew = actions.do_create_conversation(kim, kind="group", title="Crew", member_ids=[lou.pk])
    root, _ = actions.do_send_message(kim, crew.id, text="Release notes?", client_id="root")
    for n in range(1, replies + 1):
        actions.do_send_message(lou, crew.id, text=f"note {n}", client_id=f"note-{n}", thread_root=root.id)
    k = tabs().sign_in("kim")
    k.open_conversation("Crew")
    k.message("Release notes?").locator(".thread-summary").click()
    texts = panel(k).locator("#thread-replies .message .text")
    expect(texts).to_have_count(50)
    return k, lou, crew, root, texts


def test_a_long_thread_loads_older_replies_on_scroll_up_to_its_start(tabs):
    k, _, _, _, replies = open_long_thread(tabs, 120)
    expect(panel(k).locator("#thread-status")).not_to_have_text("This is the start of the thread.")
    assert replies.all_inner_texts() == [f"note {n}" for n in range(71, 121)]

    k.to_top("#thread-log")
    expect(replies).to_have_count(100)
    k.to_top("#thread-log")
    expect(replies).to_have_count(120)
    expect(panel(k).locator("#thread-status")).to_have_text("This is the start of the thread.")
    assert replies.all_inner_texts() == [f"note {n}" for n in range(1, 121)]


def test_a_reader_back_at_the_top_of_a_thread_in_the_frame_a_page_lands_still_gets_the_next_one(tabs):
    k, _, _, _, replies = open_long_thread(tabs, 160)
    k.to_top_and_back_as_a_page_lands("#thread-log", "#thread-replies .message", 100)
    expect(replies).to_have_count(150)


def test_an_older_page_that_fails_says_so_with_retry_through_later_redraws(tabs):
    k, lou, crew, root, replies = open_long_thread(tabs, 60)

    older = re.compile(r".*/threads/[0-9a-f-]+\?.*before=.*")
    k.page.route(older, lambda route: route.abort())
    k.to_top("#thread-log")
    status = panel(k).locator("#thread-status")
    expect(status.locator(".form-error")).to_contain_text("can't be reached")
    # A reply arriving redraws the panel: the error and its Retry stay.
    actions.do_send_message(lou, crew.id, text="note 61", client_id="note-61", thread_root=root.id)
    expect(replies).to_have_count(51)
    expect(status.locator(".form-error")).to_contain_text("can't be reached")

    k.page.unroute(older)
    status.get_by_role("button", name="Retry").click()
    expect(replies).to_have_count(61)
    expect(status).to_have_text("This is the start of the thread.")


def test_a_reply_written_offline_waits_in_the_panel_and_arrives_once_after_reconnect(tabs):
    meg, ned = user("meg"), user("ned")
    crew = actions.do_create_conversation(meg, kind="group", title="Crew", member_ids=[ned.pk])
    root, _ = actions.do_send_message(meg, crew.id, text="Who has the keys?", client_id="root")
    m, n = tabs().sign_in("meg"), tabs().sign_in("ned")
    for tab in (m, n):
        tab.open_conversation("Crew")
        message = tab.message("Who has the keys?")
        message.hover()
        message.get_by_role("button", name="Reply in thread").click()
        expect(panel(tab).locator("#thread-status")).to_have_text("No replies yet.")

    m.context.set_offline(True)
    expect(m.page.locator("#connection")).to_have_attribute("data-state", "offline")
    box = m.page.locator("#thread-text")
    box.fill("I do")
    box.press("Enter")
    pending = panel(m).locator("#thread-replies .message.pending")
    expect(pending).to_have_count(1)
    expect(pending.locator(".state")).to_have_text("Waiting for the connection")
    expect(m.page.locator("#connection")).to_contain_text("1 waiting to be sent")
    expect(m.page.locator("#message-list .message.pending")).to_have_count(0)  # the main log leaves it out
    expect(panel(n).locator("#thread-replies .message")).to_have_count(0)

    m.context.set_offline(False)
    expect(m.page.locator("#connection")).to_have_attribute("data-state", "online")
    expect(panel(m).locator("#thread-replies .message:not(.pending) .text")).to_have_text(["I do"])
    expect(pending).to_have_count(0)
    expect(panel(n).locator("#thread-replies .message .text")).to_have_text(["I do"])
    expect(n.message("Who has the keys?").locator(".thread-summary")).to_contain_text("1 reply")
    expect(panel(m).locator("#thread-follow")).to_have_text("Unfollow")
    stored = StoredMessage.objects.filter(conversation_id=crew.id, thread_root_id=root.id)
    assert list(stored.values_list("text", flat=True)) == ["I do"]  # sent once
