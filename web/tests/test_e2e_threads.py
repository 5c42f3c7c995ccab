"""Threads in the browser: replying in a side panel, the root's live count, followed threads with
unreads; at desktop and phone width, and with no serious accessibility violation on the panel."""

import json
import os

import pytest
from playwright.sync_api import expect

from chats import actions
from web.tests.browser import AXE, accessibility_violations, user

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def panel(tab):
    return tab.page.locator("#thread-panel")


def reply_in_thread(tab, text):
    box = tab.page.locator("#thread-text")
    box.fill(text)
    box.press("Enter")


def open_thread_of(tab, text):
    message = tab.message(text)
    message.hover()
    message.get_by_role("button", name="Reply in thread").click()
    expect(panel(tab)).to_be_visible()
    expect(panel(tab).locator("#thread-root .text")).to_have_text(text)


def test_a_thread_grows_live_in_the_side_panel_and_its_root_counts_the_replies(tabs):
    alice, bob = user("alice"), user("bob")
    crew = actions.do_create_conversation(alice, kind="group", title="Crew", member_ids=[bob.pk])
    actions.do_send_message(alice, crew.id, text="Lunch at noon?", client_id="root-1")
    a, b = tabs().sign_in("alice"), tabs().sign_in("bob")
    a.open_conversation("Crew")
    b.open_conversation("Crew")

    open_thread_of(a, "Lunch at noon?")
    reply_in_thread(a, "I can do 12:30")
    expect(panel(a).locator("#thread-replies .text")).to_have_text(["I can do 12:30"])
    # Bob sees the count arrive live, and the reply does not land in the main log
    summary = b.message("Lunch at noon?").locator(".thread-summary")
    expect(summary).to_have_text(lambda_text("1 reply"))
    expect(b.message("I can do 12:30")).to_have_count(0)

    summary.click()
    expect(panel(b).locator("#thread-replies .text")).to_have_text(["I can do 12:30"])
    reply_in_thread(b, "12:30 works")
    expect(panel(a).locator("#thread-replies .text")).to_have_text(["I can do 12:30", "12:30 works"])
    expect(a.message("Lunch at noon?").locator(".thread-summary")).to_have_text(lambda_text("2 replies"))
    expect(panel(b).locator("#thread-follow")).to_have_text("Unfollow")

    # Alice closes her panel; Bob's next reply is an unread reply in a thread she follows
    a.page.locator("#thread-close").click()
    expect(panel(a)).to_be_hidden()
    reply_in_thread(b, "See you there")
    expect(a.page.locator("#threads-button")).to_have_text("Threads (1)")
    a.page.locator("#threads-button").click()
    row = a.page.locator("#threads-list .followed-thread")
    expect(row).to_have_count(1)
    expect(row.locator(".badge")).to_have_text("1 new")
    row.click()
    expect(panel(a).locator("#thread-replies .text")).to_have_count(3)
    expect(a.page.locator("#threads-button")).to_have_text("Threads")


def lambda_text(start):
    import re

    return re.compile(rf"^{re.escape(start)}( ·.*)?$")


def test_at_phone_width_the_thread_takes_the_screen_and_back_returns(tabs):
    alice, bob = user("alice"), user("bob")
    crew = actions.do_create_conversation(alice, kind="group", title="Crew", member_ids=[bob.pk])
    root, _ = actions.do_send_message(alice, crew.id, text="Deploy today?", client_id="root-2")
    actions.do_send_message(bob, crew.id, text="After lunch", client_id="reply-2", thread_root=root.id)
    p = tabs(viewport={"width": 390, "height": 760}).sign_in("alice")
    p.open_conversation("Crew")
    p.message("Deploy today?").locator(".thread-summary").click()
    expect(panel(p).locator("#thread-replies .text")).to_have_text(["After lunch"])
    box = panel(p).bounding_box()
    assert box["width"] == 390 and box["x"] == 0
    reply_in_thread(p, "OK")
    expect(panel(p).locator("#thread-replies .text")).to_have_text(["After lunch", "OK"])
    panel(p).get_by_role("button", name="Back to the conversation").click()
    expect(panel(p)).to_be_hidden()
    expect(p.page.locator("#pane-title")).to_have_text("Crew")
    expect(p.message("Deploy today?").locator(".thread-summary")).to_have_text(lambda_text("2 replies"))


def test_the_thread_panel_has_no_serious_accessibility_violation(tabs):
    if not AXE.exists():
        message = f"{AXE} is missing: cd web/tests && npm ci"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    alice, bob = user("alice"), user("bob")
    crew = actions.do_create_conversation(alice, kind="group", title="Crew", member_ids=[bob.pk])
    root, _ = actions.do_send_message(alice, crew.id, text="Root **message**", client_id="root-3")
    actions.do_send_message(bob, crew.id, text="A reply", client_id="reply-3", thread_root=root.id)
    found = {}
    for name, viewport in (("phone", {"width": 390, "height": 760}), ("desktop", None)):
        t = tabs(viewport=viewport).sign_in("alice")
        t.open_conversation("Crew")
        t.message("Root message").locator(".thread-summary").click()
        expect(panel(t).locator("#thread-replies .text")).to_have_text(["A reply"])
        found[f"thread panel, {name}"] = accessibility_violations(t.page)
        t.page.emulate_media(color_scheme="dark")
        found[f"thread panel, {name}, dark"] = accessibility_violations(t.page)
        t.page.emulate_media(color_scheme="light")
    # the desktop tab: the panel closes with Escape, and the followed threads' dialog is checked too
    t.page.locator("#thread-text").press("Escape")
    expect(panel(t)).to_be_hidden()
    t.page.locator("#threads-button").click()
    expect(t.page.locator("#threads-list .followed-thread")).to_have_count(1)
    found["followed threads dialog"] = accessibility_violations(t.page)
    bad = {screen: v for screen, v in found.items() if v}
    print(json.dumps(bad, indent=1))
    assert not bad
