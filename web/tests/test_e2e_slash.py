"""Slash commands in the composer, in headless Chromium: "/" offers the conversation's commands
(a bot's description shown as text, never as markup), Tab completes one, and Enter runs it on the
server: /topic changes the topic everyone sees, and nothing is sent as a message."""

import pytest
from playwright.sync_api import expect

from chats import actions
from slash.models import BotCommand
from testkit.factories import bot_of
from web.tests.browser import user

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def test_slash_autocompletes_and_topic_runs_on_the_server(tabs):
    lea, max_ = user("lea"), user("max")
    helper, _ = bot_of(lea, "helper")
    BotCommand.objects.create(bot=helper, name="tease", description="<img src=x onerror=alert(1)> fun")
    actions.do_create_conversation(lea, kind="group", title="Crew", member_ids=[max_.pk, helper.pk])
    tab = tabs().sign_in("lea")
    tab.open_conversation("Crew")
    page = tab.page
    box = page.locator("#composer-text")

    box.press_sequentially("/t")
    options = page.get_by_role("listbox", name="Commands").get_by_role("option")
    expect(options).to_have_count(2)
    expect(options.nth(0)).to_have_text("/topic [TOPIC] — Set the conversation's topic (empty: clear it)")
    expect(options.nth(1)).to_have_text("/tease — <img src=x onerror=alert(1)> fun (helper)")
    assert page.locator("#mention-list img").count() == 0

    box.press("Tab")
    expect(box).to_have_value("/topic ")
    box.press_sequentially("Launch day")
    box.press("Enter")

    expect(page.locator("#pane-topic")).to_have_text("Launch day")
    expect(box).to_have_value("")
    assert tab.texts() == []
    assert not tab.errors
