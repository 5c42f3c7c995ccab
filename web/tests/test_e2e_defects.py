"""The defects of the client's second round, each as a person meets it, in headless Chromium."""

import pytest
from playwright.sync_api import expect

from chats import actions
from chats.models import StoredMessage
from web.tests.browser import user

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 780}


def test_someone_typing_in_one_conversation_is_not_shown_in_another(tabs):
    al, bob = user("al"), user("bob")
    actions.do_open_direct(al, bob)
    actions.do_create_conversation(al, kind="group", title="Crew", member_ids=[bob.pk])
    a, b = tabs().sign_in("al"), tabs().sign_in("bob")
    a.open_conversation("bob")
    b.open_conversation("al")

    a.page.locator("#composer-text").press_sequentially("thinking")
    expect(b.page.locator("#typing")).to_have_text("al is typing…")
    b.open_conversation("Crew")
    # At once, not when the notice expires some seconds later.
    assert b.page.locator("#typing").text_content() == ""
    b.open_conversation("al")
    a.page.locator("#composer-text").press_sequentially(" more")
    expect(b.page.locator("#typing")).to_have_text("al is typing…")


def test_reading_on_the_phone_clears_the_badge_and_the_tab_title_on_the_desktop(tabs):
    cy, dee = user("cy"), user("dee")
    conversation, _ = actions.do_open_direct(cy, dee)
    desk, phone = tabs().sign_in("dee"), tabs(viewport=PHONE).sign_in("dee")
    actions.do_send_message(cy, conversation.id, text="are you there?", client_id="r-1")
    for tab in (desk, phone):
        expect(tab.conversation("cy").locator(".badge")).to_have_text("1")
        expect(tab.page).to_have_title("(1) chatsite")

    phone.open_conversation("cy")
    expect(phone.message("are you there?")).to_have_count(1)
    expect(desk.conversation("cy").locator(".badge")).to_have_count(0)
    expect(desk.page).to_have_title("chatsite")
    expect(desk.conversation("cy")).not_to_have_class("unread")


def test_drafts_are_kept_per_conversation_and_survive_a_reload(tabs):
    eve, fay = user("eve"), user("fay")
    actions.do_open_direct(eve, fay)
    actions.do_create_conversation(eve, kind="group", title="Book club", member_ids=[fay.pk])
    e = tabs().sign_in("eve")
    box = e.page.locator("#composer-text")

    e.open_conversation("fay")
    box.fill("half a thought")
    e.open_conversation("Book club")
    expect(box).to_have_value("")
    box.fill("chapter 3?")
    e.open_conversation("fay")
    expect(box).to_have_value("half a thought")

    e.page.reload()
    expect(e.page.locator("#connection")).to_have_attribute("data-state", "online")
    e.open_conversation("Book club")
    expect(box).to_have_value("chapter 3?")
    box.press("Enter")
    expect(e.message("chapter 3?")).to_have_count(1)
    e.open_conversation("fay")
    expect(box).to_have_value("half a thought")
    e.open_conversation("Book club")
    expect(box).to_have_value("")  # a sent message is no draft any more


def test_a_paste_longer_than_the_limit_is_kept_counted_and_refused_with_a_reason(tabs):
    gus, hal = user("gus"), user("hal")
    conversation, _ = actions.do_open_direct(gus, hal)
    g = tabs().sign_in("gus")
    g.context.grant_permissions(["clipboard-read", "clipboard-write"])
    g.open_conversation("hal")
    box = g.page.locator("#composer-text")
    long_text = "".join(f"line {i:05d} of a long log\n" for i in range(180))  # 4,500 characters
    assert len(long_text) == 4500
    g.page.evaluate("text => navigator.clipboard.writeText(text)", long_text)
    box.focus()
    g.page.keyboard.press("Control+V")

    expect(box).to_have_value(long_text)  # nothing was cut
    expect(g.page.locator("#composer-count")).to_have_text("4,500 / 4,000")
    expect(box).to_have_attribute("aria-invalid", "true")
    box.press("Enter")
    expect(g.page.locator("#composer-error")).to_contain_text("4,500 characters long; the limit is 4,000")
    expect(box).to_have_value(long_text)  # still there to shorten
    assert g.page.locator("#message-list .message").count() == 0
    assert not StoredMessage.objects.filter(conversation_id=conversation.id).exists()

    box.fill(long_text[:4000])
    expect(g.page.locator("#composer-error")).to_have_text("")
    expect(box).not_to_have_attribute("aria-invalid", "true")
    box.press("Enter")
    expect(g.page.locator("#message-list .message:not(.pending)")).to_have_count(1)
    assert [
        len(t) for t in StoredMessage.objects.filter(conversation_id=conversation.id).values_list("text", flat=True)
    ] == [4000]
