"""The screenshots of the README, taken from a small but lively team chat, light and dark, desktop
and phone width. They land in web/tests/artifacts/ (git-ignored); the README shows copies of them
from web/docs/screenshots/."""

from datetime import timedelta

import pytest
from django.db.models import F
from playwright.sync_api import expect

from chats import actions
from chats.models import StoredMessage
from web.tests.browser import user

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 760}


def scene():
    alice = user("alice", display_name="Alice Martin", status_text="Shipping 2.0")
    bob = user("bob", display_name="Bob Chen")
    carol = user("carol", display_name="Carol Diaz")
    dave = user("dave", display_name="Dave Okafor")
    general = actions.do_create_conversation(
        alice,
        kind="channel",
        title="general",
        topic="Company-wide news",
        is_public=True,
        member_ids=[bob.pk, carol.pk, dave.pk],
    )
    release = actions.do_create_conversation(
        alice, kind="group", title="Release 2.0", topic="Ship on Friday", member_ids=[bob.pk, carol.pk]
    )
    direct, _ = actions.do_open_direct(alice, bob)
    say = lambda who, where, text, n: actions.do_send_message(who, where.id, text=text, client_id=f"shot-{n}")[0]  # noqa: E731
    say(carol, general, "Welcome to the new office chat, everyone!", 1)
    say(dave, general, "The coffee machine on floor 3 is fixed", 2)
    say(bob, release, "Morning! Where are we on the release checklist?", 3)
    say(alice, release, "Migrations are done and tested on staging.", 4)
    say(alice, release, "Still open: the **changelog** and the `2.0` tag.", 5)
    first = say(carol, release, "I'll take the changelog. Draft by noon:", 6)
    say(carol, release, "```\n## 2.0\n- threads in the web client\n- dark mode\n```", 7)
    reply = actions.do_send_message(
        bob, release.id, text="Great, thanks Carol", client_id="shot-8", parent_id=first.id
    )[0]
    # (no emoji: this machine's Chromium has no emoji font, and a screenshot of empty boxes helps nobody)
    actions.do_react(alice, release.id, reply.id, "+1")
    actions.do_react(carol, release.id, reply.id, "+1")
    # the first half was yesterday
    StoredMessage.objects.filter(conversation_id=release.id, client_id__in=["shot-3", "shot-4"]).update(
        created_at=F("created_at") - timedelta(days=1)
    )
    actions.do_mark_read(alice, release.id, first.seq)
    say(bob, direct, "Lunch at 12:30?", 9)


def test_screenshots_of_the_main_screens(tabs):
    scene()
    a = tabs().sign_in("alice")
    b = tabs().sign_in("bob")
    a.open_conversation("Release 2.0")
    expect(a.message("Draft by noon")).to_have_count(1)
    b.open_conversation("Release 2.0")
    b.page.locator("#composer-text").press_sequentially("Tagging now")
    expect(a.page.locator("#typing")).to_have_text("Bob Chen is typing…")
    a.shot("readme-chat-light")
    a.page.emulate_media(color_scheme="dark")
    a.shot("readme-chat-dark")
    a.page.emulate_media(color_scheme="light")
    a.page.keyboard.press("Control+k")
    a.page.keyboard.type("gen")
    a.shot("readme-switcher")
    a.page.keyboard.press("Escape")

    p = tabs(viewport=PHONE).sign_in("carol")
    p.shot("readme-phone-list")
    p.open_conversation("Release 2.0")
    expect(p.message("Draft by noon")).to_have_count(1)
    p.page.mouse.move(1, 1)  # a phone has no pointer resting over a message
    p.shot("readme-phone-chat")

    user("erin", display_name="Erin")
    e = tabs().sign_in("erin")
    expect(e.page.get_by_role("button", name="Join #general")).to_be_visible()
    e.shot("readme-welcome")
