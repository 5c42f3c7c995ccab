"""The defects of the client's second round, each as a person meets it, in headless Chromium."""

import json
import re

import pytest
from playwright.sync_api import expect

from chats import actions
from chats.models import StoredMessage
from testkit.services import wait_until
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


def test_the_composer_grows_with_its_text_up_to_a_cap_and_shrinks_after_sending(tabs):
    ida, jo = user("ida"), user("jo")
    actions.do_open_direct(ida, jo)
    i = tabs().sign_in("ida")
    i.open_conversation("jo")
    box = i.page.locator("#composer-text")
    empty = box.evaluate("el => el.offsetHeight")

    def height_becomes(test):
        # Waits (on the suite's deadline, the page's default timeout) until the height passes `test`.
        i.page.wait_for_function(f"h => ({test})(document.getElementById('composer-text').offsetHeight, h)", arg=empty)

    box.fill("one\ntwo\nthree\nfour")
    height_becomes("(now, empty) => now > empty * 2")
    box.fill("\n".join(f"line {n}" for n in range(40)))
    height_becomes("(now) => now === 200")  # the cap; the rest scrolls
    box.press("Enter")
    expect(i.message("line 39")).to_have_count(1)
    height_becomes("(now, empty) => now === empty")


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


def test_an_edit_tells_nobody_typing_and_a_deleted_last_message_has_a_plain_preview(tabs):
    ivy, jay = user("ivy"), user("jay")
    conversation, _ = actions.do_open_direct(ivy, jay)
    actions.do_send_message(jay, conversation.id, text="keep this", client_id="keep-1")
    i, j = tabs().sign_in("ivy"), tabs().sign_in("jay")
    i.open_conversation("jay")
    j.open_conversation("ivy")
    i.write("first try")
    expect(j.message("first try")).to_have_count(1)

    sent = []
    i.page.on("websocket", lambda ws: ws.on("framesent", lambda payload: sent.append(json.loads(payload))))
    i.page.reload()  # the socket is watched from its start
    expect(i.page.locator("#connection")).to_have_attribute("data-state", "online")
    mine = i.message("first try")
    mine.hover()
    mine.get_by_role("button", name="Edit").click()
    box = i.page.locator("#composer-text")
    box.press("End")
    box.press_sequentially(", much better", delay=100)  # longer than the typing interval (0.5 s here)
    box.press("Enter")
    expect(j.message("first try, much better").locator(".edited")).to_have_count(1)
    assert "edit" in [frame["type"] for frame in sent]
    assert "typing" not in [frame["type"] for frame in sent]
    assert j.page.locator("#typing").text_content() == ""

    mine = i.message("first try, much better")
    mine.hover()
    mine.get_by_role("button", name="Delete").click()
    mine.get_by_role("button", name="Really delete?").click()
    # the preview goes back to the newest message still there, on both sides
    expect(i.conversation("jay").locator(".last")).to_have_text("keep this")
    expect(j.conversation("ivy").locator(".last")).to_have_text("You: keep this")


def test_pins_and_search_show_words_not_markdown(tabs):
    kai, lou = user("kai"), user("lou")
    conversation, _ = actions.do_open_direct(kai, lou)
    actions.do_send_message(kai, conversation.id, text="the **deadline** is `friday`", client_id="md-1")
    k = tabs().sign_in("lou")
    k.open_conversation("kai")
    expect(k.conversation("kai").locator(".last")).to_have_text("the deadline is friday")
    message = k.message("deadline")
    message.hover()
    message.get_by_role("button", name="Pin").click()
    expect(message.locator(".pin-mark")).to_have_count(1)
    k.page.get_by_role("button", name="Pins").click()
    expect(k.page.locator("#pins-results .result-text")).to_have_text("the deadline is friday")
    k.page.keyboard.press("Escape")
    k.page.get_by_role("button", name="Search").click()
    k.page.get_by_label("Words to find").fill("deadline")
    k.page.get_by_label("Words to find").press("Enter")
    expect(k.page.locator("#search-results .result-text")).to_have_text("the deadline is friday")


def test_offline_others_are_not_shown_online_and_queued_messages_say_they_wait(tabs):
    max_, ned = user("max"), user("ned")
    actions.do_open_direct(max_, ned)
    m, n = tabs().sign_in("max"), tabs().sign_in("ned")
    m.open_conversation("ned")
    expect(m.conversation("ned").locator(".dot")).to_have_class("dot online")
    m.context.set_offline(True)
    expect(m.page.locator("#connection")).to_have_attribute("data-state", "offline")
    expect(m.conversation("ned").locator(".dot")).not_to_have_class("dot online")
    m.write("later")
    expect(m.page.locator("#message-list .pending .state")).to_have_text("Waiting for the connection")
    m.context.set_offline(False)
    expect(m.page.locator("#message-list .message:not(.pending)")).to_have_count(1)
    expect(m.conversation("ned").locator(".dot")).to_have_class("dot online")
    assert n  # ned stayed connected throughout


def test_a_presence_change_updates_a_row_in_place_so_a_click_on_it_is_never_lost(tabs):
    # A row replaced between a press and its release loses the click: presence, which changes all
    # the time, must not replace the row it shows on.
    ola, pia = user("ola"), user("pia")
    actions.do_open_direct(ola, pia)
    o = tabs().sign_in("ola")
    expect(o.conversation("pia").locator(".dot")).to_have_class("dot offline")  # connected, pia away
    button = o.conversation("pia").element_handle()
    tabs().sign_in("pia")
    expect(o.conversation("pia").locator(".dot")).to_have_class("dot online")
    assert button.evaluate("row => row.isConnected")  # the same button, its dot changed
    button.click()
    expect(o.page.locator("#pane-title")).to_have_text("pia")


def test_the_new_conversation_dialog_puts_each_radio_and_checkbox_beside_its_label(tabs):
    user("oli")
    o = tabs().sign_in("oli")
    o.page.get_by_role("button", name="New").click()
    dialog = o.page.get_by_role("dialog", name="New conversation")
    dialog.get_by_role("radio", name="Channel").check()
    for name in ("Direct message", "Group", "Channel", "Public: anyone may find and join it"):
        control = dialog.get_by_label(name, exact=True).bounding_box()
        label = dialog.locator("label", has_text=name).bounding_box()
        assert control["width"] < 40, name
        assert control["height"] < label["height"] + 1, name  # on the label's line, not above it
        assert (
            control["y"] >= label["y"] - 1 and control["y"] + control["height"] <= label["y"] + label["height"] + 1
        ), name


def test_at_phone_width_actions_wait_for_a_tap_and_the_placeholder_needs_no_shift_key(tabs):
    pat, quin = user("pat"), user("quin")
    conversation, _ = actions.do_open_direct(pat, quin)
    actions.do_send_message(quin, conversation.id, text="tap me", client_id="tap-1")
    p = tabs(viewport=PHONE).sign_in("pat")
    p.open_conversation("quin")
    expect(p.page.locator("#composer-text")).to_have_attribute("placeholder", "Write a message")
    message = p.message("tap me")
    # The pointer stays where the conversation was tapped, maybe over the message now: a phone has no hover.
    p.page.mouse.move(0, 0)
    expect(message.get_by_role("button", name="Reply", exact=True)).not_to_be_visible()
    message.locator(".text").click()
    expect(message.get_by_role("button", name="Reply", exact=True)).to_be_visible()


def test_after_a_block_the_open_direct_message_hides_their_messages_and_their_presence(tabs):
    rod, sue = user("rod"), user("sue")
    conversation, _ = actions.do_open_direct(rod, sue)
    actions.do_send_message(rod, conversation.id, text="are you ignoring me?", client_id="blk-1")
    tabs().sign_in("rod")
    s = tabs().sign_in("sue")
    s.open_conversation("rod")
    expect(s.conversation("rod").locator(".dot")).to_have_class("dot online")
    message = s.message("are you ignoring me?")
    message.locator(".text").click()
    message.get_by_role("button", name="rod").click()
    s.page.get_by_role("button", name="Block rod").click()
    expect(s.page.get_by_role("button", name="Unblock rod")).to_be_visible()
    s.page.keyboard.press("Escape")
    expect(s.message("are you ignoring me?")).to_have_count(0)
    expect(s.conversation("rod").locator(".dot")).not_to_have_class("dot online")


def long_read_conversation(reader, writer, count):
    """A group "Long" of `count` messages from `writer`, all read by `reader`: the log opens at its
    newest message. At the first unread it would open at the top of the page, where the loader
    brings the next page at once, and a first count of one page would be a race."""
    long = actions.do_create_conversation(reader, kind="group", title="Long", member_ids=[writer.pk])
    for n in range(1, count + 1):
        last, _ = actions.do_send_message(writer, long.id, text=f"entry {n}", client_id=f"long-{n}")
    actions.do_mark_read(reader, long.id, last.seq)
    return long


def test_a_short_conversation_opened_after_a_long_one_still_says_where_it_starts(tabs):
    kit, lex = user("kit"), user("lex")
    long_read_conversation(kit, lex, 120)
    short, _ = actions.do_open_direct(kit, lex)
    actions.do_send_message(lex, short.id, text="just one", client_id="short-1")
    k = tabs().sign_in("kit")
    k.open_conversation("Long")
    expect(k.page.locator("#message-list .message")).to_have_count(50)
    k.to_top()  # the loader's trigger in view
    expect(k.page.locator("#message-list .message")).to_have_count(100)
    k.open_conversation("lex")
    expect(k.message("just one")).to_have_count(1)
    expect(k.page.locator("#history-status")).to_have_text("This is the start of the conversation.")
    k.open_conversation("Long")
    expect(k.page.locator("#message-list .message")).to_have_count(50)
    k.to_top()
    expect(k.page.locator("#message-list .message")).to_have_count(100)


def test_a_reader_back_at_the_top_in_the_frame_an_older_page_lands_still_gets_the_next_one(tabs):
    long_read_conversation(user("mo"), user("ned"), 160)
    m = tabs().sign_in("mo")
    m.open_conversation("Long")
    expect(m.page.locator("#message-list .message")).to_have_count(50)
    m.to_top_and_back_as_a_page_lands("#messages", "#message-list .message", 100)
    expect(m.page.locator("#message-list .message")).to_have_count(150)


def test_the_log_says_it_is_busy_until_its_first_page_is_laid_out_and_a_scroll_made_then_stays(tabs):
    long_read_conversation(user("pia"), user("quin"), 120)
    p = tabs().sign_in("pia")
    held = []  # the first page's request, kept from the server until the test lets it go
    first_page = re.compile(r"/api/v1/conversations/[^/]+/messages\?")
    p.page.context.route(first_page, lambda route: held.append(route))
    p.open_conversation("Long")
    wait_until(lambda: p.page.evaluate("1") and held, "the client asked for the first page", seen=p.seen)
    log = p.page.locator("#messages")
    expect(log).to_have_attribute("aria-busy", "true")  # screen readers wait for the whole page
    held[0].continue_()
    p.page.context.unroute(first_page)
    expect(log).to_have_attribute("aria-busy", "false")
    expect(p.page.locator("#message-list .message")).to_have_count(50)
    p.to_top()  # once idle, the open's own scroll to the newest message is over and cannot undo it
    expect(p.page.locator("#message-list .message")).to_have_count(100)
    expect(log).to_have_attribute("aria-busy", "false")
