"""What a Slack, Zulip or Element user expects of the client, in headless Chromium."""

import re

import pytest
from playwright.sync_api import expect

from chats import actions
from chats.models import Membership, StoredMessage
from testkit.services import wait_until
from web.tests.browser import PASSWORD, user

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def test_addresses_follow_the_open_conversation_through_reload_back_forward_and_permalinks(tabs):
    ida, jon = user("ida"), user("jon")
    direct, _ = actions.do_open_direct(ida, jon)
    crew = actions.do_create_conversation(ida, kind="group", title="Crew", member_ids=[jon.pk])
    for i in range(1, 121):
        actions.do_send_message(jon, crew.id, text=f"log line {i}", client_id=f"log-{i}")
    i = tabs().sign_in("ida")
    page = i.page

    i.open_conversation("Crew")
    expect(page).to_have_url(re.compile(f"/c/{crew.id}$"))
    page.reload()
    expect(page.locator("#pane-title")).to_have_text("Crew")
    i.open_conversation("jon")
    expect(page).to_have_url(re.compile(f"/c/{direct.id}$"))
    page.go_back()
    expect(page.locator("#pane-title")).to_have_text("Crew")
    page.go_back()
    expect(page.locator("#pane-title")).to_have_text("Pick a conversation")
    page.go_forward()
    expect(page.locator("#pane-title")).to_have_text("Crew")

    # a message's time is its permalink; the link opens the conversation around it
    seq = seq_of(crew.id, "log line 3")
    page.goto(f"{i.base_url}/c/{crew.id}/{seq}")
    expect(page.locator("#message-list .message.highlight .text")).to_have_text("log line 3")
    href = page.locator("#message-list .message.highlight a.permalink").get_attribute("href")
    assert href == f"/c/{crew.id}/{seq}"

    # signed out, a link still lands in its conversation once signed in
    other = tabs()
    other.open(f"/c/{direct.id}")
    other.page.locator("#login-username").fill("ida")
    other.page.locator("#login-password").fill(PASSWORD)
    other.page.get_by_role("button", name="Sign in").click()
    expect(other.page.locator("#pane-title")).to_have_text("jon")

    # a conversation one may not see says so, and leaves the address
    stranger = actions.do_create_conversation(jon, kind="group", title="Secret", member_ids=[])
    page.goto(f"{i.base_url}/c/{stranger.id}")
    expect(page.locator("#pane-topic")).to_have_text("That conversation does not exist, or you are not in it.")
    expect(page).to_have_url(re.compile(r"/$"))


def seq_of(conversation_id, text):
    return StoredMessage.objects.get(conversation_id=conversation_id, text=text).seq


def test_the_keyboard_reaches_everything_without_a_tab_stop_per_message_button(tabs):
    rae, sam = user("rae"), user("sam")
    direct, _ = actions.do_open_direct(rae, sam)
    crew = actions.do_create_conversation(rae, kind="group", title="Crew", member_ids=[sam.pk])
    ops = actions.do_create_conversation(rae, kind="group", title="Ops", member_ids=[sam.pk])
    for n in range(1, 51):
        actions.do_send_message(sam, crew.id, text=f"status {n}", client_id=f"st-{n}")
    actions.do_send_message(sam, ops.id, text="ops ping", client_id="ops-1")
    r = tabs().sign_in("rae")
    page = r.page
    r.open_conversation("Crew")
    expect(page.locator("#message-list .message")).to_have_count(50)

    # the log is one tab stop: Tab from it goes to the message box, not into 50 messages' buttons
    page.locator("#messages").focus()
    page.keyboard.press("Tab")
    expect(page.locator("#composer-text")).to_be_focused()
    # ↑ and ↓ walk the messages; Tab then reaches the focused message's actions
    page.locator("#messages").focus()
    page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowUp")
    expect(page.locator("#message-list .message:focus .text")).to_have_text("status 49")
    page.keyboard.press("Tab")  # a message that carries on its sender's run has no name to tab to
    expect(page.locator(":focus")).to_have_class("permalink")
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_text("React")
    page.keyboard.press("Enter")
    expect(page.locator(":focus")).to_have_attribute("aria-label", "React with 👍")
    page.keyboard.press("Enter")
    expect(r.message("status 49").locator(".reaction")).to_have_text("👍 1")

    # Ctrl+K finds a conversation by name
    page.keyboard.press("Control+k")
    expect(page.get_by_role("dialog", name="Go to a conversation")).to_be_visible()
    page.keyboard.type("op")
    expect(page.get_by_role("option")).to_have_text(["Ops 1 unread"])
    page.keyboard.press("Enter")
    expect(page.locator("#pane-title")).to_have_text("Ops")

    # Alt+↑ and Alt+↓ step through the list, newest activity first (Ops, Crew, sam)
    page.locator("#composer-text").focus()
    page.keyboard.press("Alt+ArrowDown")
    expect(page.locator("#pane-title")).to_have_text("Crew")
    page.keyboard.press("Alt+ArrowDown")
    expect(page.locator("#pane-title")).to_have_text("sam")
    page.keyboard.press("Alt+ArrowUp")
    expect(page.locator("#pane-title")).to_have_text("Crew")

    # ? lists the shortcuts
    page.locator("#messages").focus()
    page.keyboard.press("?")
    expect(page.get_by_role("dialog", name="Keyboard shortcuts")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog", name="Keyboard shortcuts")).to_be_hidden()
    assert direct  # sam's DM is the oldest row


def test_a_message_arriving_leaves_the_keyboard_focus_on_the_link_it_was_on(tabs):
    vic, wes = user("vic"), user("wes")
    crew = actions.do_create_conversation(vic, kind="group", title="Crew", member_ids=[wes.pk])
    actions.do_send_message(wes, crew.id, text="first", client_id="f-1")
    v = tabs().sign_in("vic")
    page = v.page
    v.open_conversation("Crew")
    v.message("first").locator("a.permalink").focus()
    expect(page.locator(":focus")).to_have_class("permalink")
    # Each arrival redraws the log; the reader's place in it must not jump back to the message.
    for n in range(3):
        actions.do_send_message(wes, crew.id, text=f"more {n}", client_id=f"m-{n}")
        expect(v.message(f"more {n}")).to_be_visible()
        expect(page.locator(":focus")).to_have_class("permalink")
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_text("React")


def test_a_conversation_opens_at_a_new_messages_line_and_news_below_waits_for_the_reader(tabs):
    tom, uma = user("tom"), user("uma")
    crew = actions.do_create_conversation(tom, kind="group", title="Crew", member_ids=[uma.pk])
    for n in range(1, 61):
        actions.do_send_message(tom, crew.id, text=f"update {n}", client_id=f"up-{n}")
    actions.do_mark_read(uma, crew.id, seq_of(crew.id, "update 30"))
    u = tabs().sign_in("uma")
    page = u.page
    expect(u.conversation("Crew").locator(".badge")).to_have_text("30")
    u.open_conversation("Crew")

    line = page.locator("#message-list .unread-line")
    expect(line).to_have_text("New messages")
    after_line = page.locator("#message-list .unread-line + .message .text")
    expect(after_line).to_have_text("update 31")
    expect(line).to_be_in_viewport()
    expect(u.message("update 60")).not_to_be_in_viewport()  # opened at the first unread, not the end
    membership = Membership.objects.get(conversation_id=crew.id, user=uma)
    assert membership.last_read_seq == seq_of(crew.id, "update 30")  # nothing below was seen yet

    actions.do_send_message(tom, crew.id, text="breaking news", client_id="up-61")
    pill = page.get_by_role("button", name="New messages below")
    expect(pill).to_be_visible()
    membership.refresh_from_db()
    assert membership.last_read_seq < seq_of(crew.id, "breaking news")
    u.shot("new-messages")
    pill.click()
    expect(u.message("breaking news")).to_be_in_viewport()
    expect(pill).to_be_hidden()
    expect(page).to_have_title("chatsite")
    newest = seq_of(crew.id, "breaking news")
    wait_until(lambda: Membership.objects.get(pk=membership.pk).last_read_seq == newest, "the read mark at the newest")


def test_runs_of_one_sender_are_grouped_under_an_avatar_and_dark_mode_follows_the_system_or_the_toggle(tabs):
    vic, wes = user("vic", display_name="Vic Vale"), user("wes")
    direct, _ = actions.do_open_direct(vic, wes)
    for text in ("one", "two", "three"):
        actions.do_send_message(wes, direct.id, text=text, client_id=f"run-{text}")
    actions.do_send_message(vic, direct.id, text="answer", client_id="run-answer")
    v = tabs().sign_in("vic")
    page = v.page
    v.open_conversation("wes")
    expect(v.message("one").locator(".avatar")).to_have_text("WE")
    expect(v.message("one").locator(".sender")).to_be_visible()
    for text in ("two", "three"):
        expect(v.message(text)).to_have_class(re.compile(r"\bgrouped\b"))
        expect(v.message(text).locator(".sender")).to_be_hidden()
    expect(v.message("answer").locator(".avatar")).to_have_text("VV")
    expect(v.message("answer")).not_to_have_class(re.compile(r"\bgrouped\b"))

    def background():
        return page.evaluate("getComputedStyle(document.body).backgroundColor")

    light = background()
    page.emulate_media(color_scheme="dark")
    expect(page.locator("body")).not_to_have_css("background-color", light)
    dark = background()
    v.shot("dark")
    toggle = page.locator("#theme-button")
    expect(toggle).to_have_text("Theme: auto")
    toggle.click()
    expect(toggle).to_have_text("Theme: dark")
    toggle.click()
    expect(toggle).to_have_text("Theme: light")
    expect(page.locator("body")).to_have_css("background-color", light)  # the pick beats the system
    page.reload()
    expect(page.locator("#theme-button")).to_have_text("Theme: light")
    expect(page.locator("body")).to_have_css("background-color", light)
    assert dark != light


def test_a_new_account_is_offered_public_channels_and_people_instead_of_a_blank_screen(tabs):
    ray = user("ray", display_name="Ray")
    general = actions.do_create_conversation(ray, kind="channel", title="general", topic="Everyone", is_public=True)
    actions.do_send_message(ray, general.id, text="welcome aboard", client_id="gen-1")
    user("zoe")
    user("yul")
    z = tabs().sign_in("zoe")
    welcome = z.page.get_by_role("region", name="Welcome, zoe!")
    expect(welcome).to_be_visible()
    expect(z.page.locator("#conversations-empty")).to_be_visible()
    welcome.get_by_label("Find someone by name").fill("ra")
    expect(welcome.get_by_role("button", name="Message Ray")).to_be_visible()
    z.shot("welcome")
    welcome.get_by_role("button", name="Join #general").click()
    expect(z.page.locator("#pane-title")).to_have_text("#general")
    expect(z.message("welcome aboard")).to_have_count(1)
    expect(welcome).to_be_hidden()

    y = tabs().sign_in("yul")
    welcome = y.page.get_by_role("region", name="Welcome, yul!")
    welcome.get_by_label("Find someone by name").fill("ra")
    welcome.get_by_role("button", name="Message Ray").click()
    expect(y.page.locator("#pane-title")).to_have_text("Ray")
    expect(y.conversation("Ray")).to_be_visible()


def test_a_conversation_that_fails_to_load_says_why_and_offers_retry(tabs):
    amy, bev = user("amy"), user("bev")
    direct, _ = actions.do_open_direct(amy, bev)
    actions.do_send_message(bev, direct.id, text="can you see me?", client_id="see-1")
    a = tabs().sign_in("amy")
    failing = [True]

    def messages(route):
        if failing[0]:
            route.fulfill(
                status=503,
                content_type="application/json",
                body='{"error": {"code": "unavailable", "message": "The server is busy."}}',
            )
        else:
            route.continue_()

    a.page.route(re.compile(r"/api/v1/conversations/[^/]+/messages\?"), messages)
    a.open_conversation("bev")
    expect(a.page.locator("#history-status")).to_contain_text("The server is busy.")
    failing[0] = False
    a.page.locator("#history-status").get_by_role("button", name="Retry").click()
    expect(a.message("can you see me?")).to_have_count(1)


def test_seen_by_and_the_other_persons_presence_and_status_in_a_direct_message(tabs):
    cal, dot, eli = user("cal"), user("dot", status_text="On holiday"), user("eli")
    actions.do_open_direct(cal, dot)
    trio = actions.do_create_conversation(cal, kind="group", title="Trio", member_ids=[dot.pk, eli.pk])
    c, d = tabs().sign_in("cal"), tabs().sign_in("dot")
    c.open_conversation("dot")
    expect(c.page.locator("#pane-topic")).to_have_text("Online · On holiday")
    c.write("did you read this?")
    expect(c.message("did you read this?")).not_to_have_class(re.compile("pending"))
    expect(c.message("did you read this?").locator(".seen")).to_have_count(0)
    d.open_conversation("cal")
    expect(c.message("did you read this?").locator(".seen")).to_have_text("Seen")

    c.open_conversation("Trio")
    c.write("agenda for friday")
    expect(c.message("agenda for friday")).not_to_have_class(re.compile("pending"))
    d.open_conversation("Trio")
    expect(c.message("agenda for friday").locator(".seen")).to_have_text("Seen by dot")
    actions.do_mark_read(eli, trio.id, seq_of(trio.id, "agenda for friday"))
    expect(c.message("agenda for friday").locator(".seen")).to_have_text("Seen by dot, eli")


def test_a_conversation_is_managed_from_the_client_rename_topic_members_roles_leave_archive(tabs):
    own, mem = user("own"), user("mem")
    user("new", display_name="Newt")
    actions.do_create_conversation(own, kind="group", title="Plan", topic="Old topic", member_ids=[mem.pk])
    o, m, n = tabs().sign_in("own"), tabs().sign_in("mem"), tabs().sign_in("new")
    o.open_conversation("Plan")
    m.open_conversation("Plan")
    o.page.get_by_role("button", name="Details").click()
    details = o.page.get_by_role("dialog", name="Details")
    expect(details.locator("#details-members .result-title")).to_have_text(["own (you)", "mem"])

    details.get_by_label("Name").fill("Plan B")
    details.get_by_label("Topic").fill("Friday launch")
    details.get_by_role("button", name="Save").click()
    expect(details.get_by_role("status")).to_have_text("Saved.")
    expect(m.page.locator("#pane-title")).to_have_text("Plan B")
    expect(m.page.locator("#pane-topic")).to_have_text("Friday launch")

    details.get_by_label("Add people").fill("new")
    details.get_by_role("button", name="Add Newt").click()
    expect(details.locator("#details-members .result-title")).to_contain_text(["Newt"])
    expect(n.conversation("Plan B")).to_be_visible()

    details.get_by_role("button", name="Make admin: mem").click()
    expect(details.locator("#details-members .role")).to_have_text(["owner", "admin", "member"])
    details.get_by_role("button", name="Remove Newt").click()
    expect(n.conversation("Plan B")).to_have_count(0)
    expect(details.locator("#details-members .result-title")).to_have_text(["own (you)", "mem"])
    o.page.keyboard.press("Escape")

    m.page.get_by_role("button", name="Details").click()
    m.page.get_by_role("button", name="Leave").click()
    m.page.get_by_role("button", name="Really leave Plan B?").click()
    expect(m.conversation("Plan B")).to_have_count(0)
    expect(m.page.locator("#pane-title")).to_have_text("Pick a conversation")

    o.page.get_by_role("button", name="Details").click()
    expect(details.locator("#details-members .result-title")).to_have_text(["own (you)"])
    details.get_by_role("button", name="Archive").click()
    expect(o.page.locator("#composer-text")).to_be_disabled()
    expect(o.page.locator("#composer-text")).to_have_attribute("placeholder", "This conversation is archived.")


def test_an_edited_message_shows_its_earlier_versions(tabs):
    gia, hub = user("gia"), user("hub")
    direct, _ = actions.do_open_direct(gia, hub)
    message, _ = actions.do_send_message(gia, direct.id, text="meet at 10", client_id="v-1")
    actions.do_edit_message(gia, direct.id, message.id, text="meet at 11")
    actions.do_edit_message(gia, direct.id, message.id, text="meet at **noon**")
    h = tabs().sign_in("hub")
    h.open_conversation("gia")
    h.message("meet at noon").get_by_role("button", name="(edited)").click()
    history = h.page.get_by_role("dialog", name="Edit history")
    expect(history.locator(".version .text")).to_have_text(["meet at noon", "meet at 11", "meet at 10"])
    expect(history.locator(".version strong")).to_have_text("noon")  # markdown drawn, never HTML


def test_a_background_load_that_fails_is_said_with_retry_not_swallowed(tabs):
    ivo, jan = user("ivo"), user("jan")
    actions.do_open_direct(ivo, jan)
    i = tabs().sign_in("ivo")
    i.open_conversation("jan")
    failing = [True]

    def conversations(route):
        if failing[0] and route.request.method == "GET":
            route.fulfill(
                status=503,
                content_type="application/json",
                body='{"error": {"code": "unavailable", "message": "The server is busy."}}',
            )
        else:
            route.continue_()

    i.page.route(re.compile(r"/api/v1/conversations$"), conversations)
    # someone adds ivo to a group: the client refreshes its list in the background
    actions.do_create_conversation(jan, kind="group", title="Surprise", member_ids=[ivo.pk])
    alert = i.page.locator("#app-error")
    expect(alert).to_contain_text("The server is busy.")
    failing[0] = False
    alert.get_by_role("button", name="Retry").click()
    expect(i.conversation("Surprise")).to_be_visible()
    expect(alert).to_be_hidden()
