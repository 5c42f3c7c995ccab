"""The browser client end to end: real headless Chromium (Debian's) against a real uvicorn process
on PostgreSQL and Redis. Screenshots of the main screens land in web/tests/artifacts/."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db.models import F

from chats import actions
from chats.models import StoredMessage
from moderation.models import MessageReport
from web.tests.browser import PASSWORD, user

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

User = get_user_model()


def test_two_people_sign_up_and_chat_both_ways_and_see_each_other_typing(tabs):
    from playwright.sync_api import expect

    ann, ben = tabs(), tabs()
    for tab, name in ((ann, "ann"), (ben, "ben")):
        tab.open()
        if tab is ann:
            tab.shot("login")
        tab.page.get_by_role("button", name="Create an account").click()
        tab.page.locator("#signup-username").fill(name)
        tab.page.locator("#signup-display").fill(name.title())
        tab.page.locator("#signup-password").fill(PASSWORD)
        tab.page.get_by_role("button", name="Create account").click()
        expect(tab.page.locator("#connection")).to_have_attribute("data-state", "online")

    ann.page.get_by_role("button", name="New").click()
    ann.page.get_by_label("Who do you want to write to?").fill("be")
    ann.page.locator("#new-people-results button", has_text="Ben").click()
    expect(ann.page.locator("#pane-title")).to_have_text("Ben")
    ann.write("Hi Ben!")

    expect(ben.conversation("Ann").locator(".badge")).to_have_text("1")
    ben.open_conversation("Ann")
    expect(ben.message("Hi Ben!")).to_have_count(1)
    expect(ben.conversation("Ann").locator(".badge")).to_have_count(0)

    ben.page.locator("#composer-text").press_sequentially("Hello")
    expect(ann.page.locator("#typing")).to_have_text("Ben is typing…")
    ben.page.locator("#composer-text").press("Shift+Enter")
    ben.page.locator("#composer-text").press_sequentially("second line")
    ben.page.locator("#composer-text").press("Enter")
    expect(ann.message("second line")).to_contain_text("Hello\nsecond line")
    expect(ann.page.locator("#typing")).to_have_text("")

    ann.page.locator("#composer-text").press_sequentially("How are you?")
    expect(ben.page.locator("#typing")).to_have_text("Ann is typing…")
    ann.page.locator("#composer-text").press("Enter")
    expect(ben.message("How are you?")).to_have_count(1)
    assert ann.texts() == ben.texts() == ["Hi Ben!", "Hello\nsecond line", "How are you?"]
    expect(ann.conversation("Ben").locator(".dot")).to_have_class(re.compile(r"\bonline\b"))
    ann.shot("conversation")


def test_back_from_offline_a_user_sees_the_ten_messages_once_in_order_and_sends_what_was_queued(tabs):
    from playwright.sync_api import expect

    ana, bo = user("ana"), user("bo")
    conversation, _ = actions.do_open_direct(ana, bo)
    a, b = tabs().sign_in("ana"), tabs().sign_in("bo")
    a.open_conversation("bo")
    b.open_conversation("ana")

    a.context.set_offline(True)
    expect(a.page.locator("#connection")).to_have_attribute("data-state", "offline")
    sent = [f"news {i}" for i in range(1, 11)]
    for text in sent:
        b.write(text)
    expect(b.page.locator("#message-list .message:not(.pending)")).to_have_count(10)

    a.write("queued one")
    a.write("queued two")
    expect(a.page.locator("#message-list .message.pending")).to_have_count(2)
    expect(a.page.locator("#connection")).to_contain_text("2 waiting to be sent")
    assert a.texts() == ["queued one", "queued two"]  # nothing arrived while offline
    a.shot("offline")

    a.context.set_offline(False)
    expect(a.page.locator("#connection")).to_have_attribute("data-state", "online")
    expect(a.page.locator("#message-list .message:not(.pending)")).to_have_count(12)
    assert a.texts() == [*sent, "queued one", "queued two"]
    expect(b.page.locator("#message-list .message")).to_have_count(12)
    assert b.texts() == [*sent, "queued one", "queued two"]
    stored = StoredMessage.objects.filter(conversation_id=conversation.id).values_list("text", flat=True)
    assert sorted(stored) == sorted([*sent, "queued one", "queued two"])  # no duplicate reached the store


def test_html_in_a_message_is_shown_as_text_and_runs_nothing(tabs):
    from playwright.sync_api import expect

    mal, vic = user("mal"), user("vic")
    actions.do_open_direct(mal, vic)
    m, v = tabs().sign_in("mal"), tabs().sign_in("vic")
    payloads = [
        '<img src=x onerror="window.pwned=1">',
        "<script>window.pwned=2</script>",
        '**<b onmouseover="window.pwned=3">bold</b>** [x](javascript:window.pwned=4) javascript:alert(1)',
        "```\n<svg onload=window.pwned=5>\n``` and `<i>code</i>` https://example.com/a?b=<c>",
    ]
    m.open_conversation("vic")
    for text in payloads:
        m.write(text)
    v.open_conversation("mal")
    expect(v.page.locator("#message-list .message")).to_have_count(len(payloads))

    for tab in (m, v):
        page = tab.page
        expect(page.locator("#message-list .message").nth(len(payloads) - 1)).not_to_have_class(re.compile("pending"))
        assert tab.texts()[0] == payloads[0]
        assert tab.texts()[1] == payloads[1]
        assert page.locator("#message-list img, #message-list script, #message-list svg, #message-list b").count() == 0
        page.locator("#message-list strong").first.hover()
        assert page.evaluate("window.pwned") is None
        links = page.locator("#message-list .text a")
        assert links.count() == 1  # only the http(s) URL became a link
        assert links.first.get_attribute("href") == "https://example.com/a?b="  # a URL ends before "<"
        assert links.first.get_attribute("rel") == "noopener noreferrer nofollow"
        expect(page.locator("#message-list pre code")).to_have_text("<svg onload=window.pwned=5>")
        expect(page.locator("#message-list p code, #message-list .text > code")).to_have_text("<i>code</i>")
    v.shot("html-as-text")


def test_a_banned_user_is_disconnected_and_told_the_account_is_suspended(tabs):
    from playwright.sync_api import expect

    from moderation.actions import do_ban_user

    moderator = User.objects.create_superuser("mod", password=PASSWORD)
    troll, host = user("troll"), user("host")
    actions.do_open_direct(troll, host)
    t = tabs().sign_in("troll")
    t.open_conversation("host")

    do_ban_user(moderator, troll, "spam")

    expect(t.page.get_by_role("dialog", name="Your account is suspended")).to_be_visible()
    expect(t.page.locator("#connection")).to_have_attribute("data-state", "suspended")
    expect(t.page.locator("#chat")).to_be_hidden()
    t.shot("suspended")
    t.page.get_by_role("button", name="OK").click()
    expect(t.page.locator("#auth-notice")).to_contain_text("suspended")
    # and it stays out: no reconnect, and signing in again is refused
    t.page.locator("#login-username").fill("troll")
    t.page.locator("#login-password").fill(PASSWORD)
    t.page.get_by_role("button", name="Sign in").click()
    expect(t.page.locator("#login-form [data-error]")).not_to_be_empty()
    expect(t.page.locator("#chat")).to_be_hidden()


def test_a_group_conversation_scrolls_back_and_has_replies_reactions_mentions_edits_pins_and_search(tabs):
    from playwright.sync_api import expect

    owner, bea, cyd = user("owner"), user("bea", display_name="Bea"), user("cyd", display_name="Cyd")
    group = actions.do_create_conversation(
        owner, kind="group", title="Team", topic="Planning", member_ids=[bea.pk, cyd.pk]
    )
    for i in range(1, 121):
        actions.do_send_message(bea if i % 2 else owner, group.id, text=f"old note {i}", client_id=f"seed-{i}")
    # The first half was written two days ago, so a day separator sits between the halves.
    StoredMessage.objects.filter(conversation_id=group.id, seq__lte=60).update(
        created_at=F("created_at") - timedelta(days=2)
    )
    # All read: the log opens at its newest message. Opened at the first unread, the top of the
    # first page, it would bring the older-history loader into view at once, and the page of 50
    # would be 100 before the check below saw it (seen on a loaded machine).
    actions.do_mark_read(owner, group.id, 120)
    o, b = tabs().sign_in("owner"), tabs().sign_in("bea")
    o.open_conversation("Team")
    b.open_conversation("Team")
    expect(o.page.locator("#message-list .message")).to_have_count(50)

    # infinite scroll upward, down to the first message, with a separator per day
    for loaded in (100, 120):
        o.to_top()
        expect(o.page.locator("#message-list .message")).to_have_count(loaded)
    expect(o.page.locator("#history-status")).to_have_text("This is the start of the conversation.")
    assert o.texts()[0] == "old note 1" and o.texts()[-1] == "old note 120"
    expect(o.page.locator("#message-list .day")).to_have_count(2)

    # @mention autocomplete
    box = o.page.locator("#composer-text")
    box.press_sequentially("ping @cy")
    expect(o.page.get_by_role("option")).to_have_text(["@cyd Cyd"])
    box.press("Enter")
    expect(box).to_have_value("ping @cyd ")
    box.press("Enter")
    expect(b.message("ping @cyd").locator(".mention")).to_have_text("@cyd")

    # reply, shown with its parent
    last = o.message("old note 119")
    last.hover()
    last.get_by_role("button", name="Reply", exact=True).click()
    expect(o.page.locator("#composer-context")).to_contain_text("Replying to Bea")
    o.write("answering that")
    expect(o.message("answering that").locator(".quote")).to_contain_text("Bea old note 119")
    expect(b.message("answering that").locator(".quote")).to_contain_text("You old note 119")  # Bea's own

    # reaction, seen by the other member
    last.hover()
    last.get_by_role("button", name="React").click()
    last.get_by_role("button", name="React with 👍").click()
    expect(b.message("old note 119").locator(".reaction")).to_have_text("👍 1")
    expect(last.locator(".reaction")).to_have_attribute("aria-pressed", "true")

    # edit and delete one's own messages
    mine = o.message("answering that")
    mine.hover()
    mine.get_by_role("button", name="Edit").click()
    box.fill("answering that, edited")
    box.press("Enter")
    expect(b.message("answering that, edited").locator(".edited")).to_have_count(1)
    ping = o.message("ping @cyd")
    ping.hover()
    ping.get_by_role("button", name="Delete").click()
    ping.get_by_role("button", name="Really delete?").click()
    expect(b.page.locator("#message-list .tombstone")).to_have_count(1)

    # pin (the owner may), listed under Pins
    last.hover()
    last.get_by_role("button", name="Pin").click()
    expect(b.message("old note 119").locator(".pin-mark")).to_have_count(1)
    o.page.get_by_role("button", name="Pins").click()
    expect(o.page.locator("#pins-results .result-text")).to_have_text(["old note 119"])
    o.page.keyboard.press("Escape")
    o.shot("group")

    # search, and the jump to an old message
    o.page.get_by_role("button", name="Search").click()
    o.page.get_by_label("Words to find").fill("note 7")
    o.page.get_by_label("Words to find").press("Enter")
    expect(o.page.locator("#search-results .result").first).to_be_visible()
    o.shot("search")
    o.page.locator("#search-results .result", has_text="old note 7").first.click()
    expect(o.page.locator("#message-list .message.highlight .text")).to_have_text("old note 7")
    assert len(b.errors) == 0


def test_channels_are_browsed_and_joined_messages_reported_and_people_blocked_at_phone_width(tabs):
    from playwright.sync_api import expect

    from accounts.selectors import is_blocked

    rex, kim = user("rex"), user("kim")
    lobby = actions.do_create_conversation(rex, kind="channel", title="lobby", topic="Say hi", is_public=True)
    actions.do_send_message(rex, lobby.id, text="buy cheap stuff", client_id="spam-1")
    k = tabs(viewport={"width": 390, "height": 780}).sign_in("kim")
    k.shot("phone-list")

    k.page.get_by_role("button", name="Channels").click()
    k.page.get_by_role("dialog", name="Public channels").get_by_role("button", name="Join #lobby").click()
    expect(k.page.locator("#pane-title")).to_have_text("#lobby")
    expect(k.page.locator("#conversations")).to_be_hidden()  # the pane has the phone's whole width
    spam = k.message("buy cheap stuff")
    expect(spam.get_by_role("button", name="Report")).not_to_be_visible()  # a phone shows actions on a tap
    spam.locator(".text").click()
    spam.get_by_role("button", name="Report").click()
    k.page.get_by_label("Why should a moderator look at it?").fill("spam")
    k.page.get_by_role("button", name="Send report").click()
    expect(k.page.get_by_role("status").filter(has_text="A moderator will look")).to_be_visible()
    expect(k.page.locator("#report-dialog [data-error]")).to_have_text("")  # a thank-you is no error
    assert MessageReport.objects.filter(reporter=kim, reason="spam").count() == 1
    k.page.keyboard.press("Escape")
    k.shot("phone-conversation")

    spam.locator(".text").click()
    spam.get_by_role("button", name="rex").click()
    k.page.get_by_role("button", name="Block rex").click()
    expect(k.page.get_by_role("button", name="Unblock rex")).to_be_visible()
    assert is_blocked(kim.pk, rex.pk)
    k.page.keyboard.press("Escape")
    k.page.get_by_role("button", name="Back to conversations").click()
    expect(k.conversation("#lobby")).to_be_visible()


def test_the_admin_and_the_api_docs_work_under_the_content_security_policy(tabs):
    from playwright.sync_api import expect

    User.objects.create_superuser("root", password=PASSWORD)
    tab = tabs()
    # Nothing may leave this origin: a request elsewhere (a CDN) is refused and fails the test.
    outside = []

    def only_this_site(route):
        if route.request.url.startswith(tab.base_url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    tab.page.route("**/*", only_this_site)
    tab.open("/admin/login/")
    tab.page.get_by_label("Username").fill("root")
    tab.page.get_by_label("Password").fill(PASSWORD)
    tab.page.get_by_role("button", name="Log in").click()
    expect(tab.page.get_by_role("link", name="Users")).to_be_visible()
    tab.page.get_by_role("link", name="Users").first.click()
    expect(tab.page.locator("#result_list")).to_be_visible()
    with tab.page.expect_response(lambda r: "/api/docs/?" in r.url and "script=" in r.url) as script:
        assert tab.page.goto(tab.base_url + "/api/docs/").status == 200
    assert script.value.status == 200 and "javascript" in script.value.headers["content-type"]
    # Swagger UI draws the operations from the schema, offline, from this site's own static files.
    expect(tab.page.locator(".opblock-tag-section").first).to_be_visible()
    expect(tab.page.get_by_text("/api/v1/conversations", exact=True).first).to_be_attached()
    assert outside == []
    violations = [e for e in tab.errors if "Content Security Policy" in e]
    assert violations == []
    tab.errors.clear()
