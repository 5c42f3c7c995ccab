"""The emoji picker and `:shortcode:` completion, in headless Chromium. The data is emojibase-data
from npm, served as static files (`make` copies it); nothing comes from another site."""

import re

import pytest
from playwright.sync_api import expect

from chats import actions
from web.tests.browser import user

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def test_a_reaction_picked_from_the_full_picker_reaches_the_other_member_and_is_remembered(tabs, axe):
    kim, lou = user("kim"), user("lou")
    crew = actions.do_create_conversation(kim, kind="group", title="Crew", member_ids=[lou.pk])
    actions.do_send_message(lou, crew.id, text="ship it", client_id="emoji-1")
    k = tabs().sign_in("kim")
    lo = tabs().sign_in("lou")
    k.open_conversation("Crew")
    lo.open_conversation("Crew")

    message = k.message("ship it")
    message.hover()
    message.get_by_role("button", name="React", exact=True).click()
    message.get_by_role("button", name="More emoji").click()
    picker = k.page.get_by_role("dialog", name="React with an emoji")
    expect(picker.get_by_role("searchbox", name="Search emoji")).to_be_focused()
    picker.get_by_role("searchbox").fill("rocket")
    expect(picker.get_by_role("button", name="rocket", exact=True)).to_be_visible()
    assert axe(k.page) == []
    picker.get_by_role("button", name="rocket", exact=True).click()
    expect(picker).to_have_count(0)
    expect(lo.message("ship it").locator(".reaction")).to_have_text("🚀 1")

    # the pick is offered again under Recently used, and Escape closes the picker
    k.page.get_by_role("button", name="Insert an emoji").click()
    picker = k.page.get_by_role("dialog", name="Insert an emoji")
    expect(picker.get_by_role("button", name="Recently used")).to_have_attribute("aria-pressed", "true")
    expect(picker.locator(".emoji-grid button")).to_have_text(["🚀"])
    k.page.keyboard.press("Escape")
    expect(picker).to_have_count(0)
    expect(k.page.get_by_role("button", name="Insert an emoji")).to_be_focused()


def test_the_picker_browses_groups_with_the_keyboard_and_inserts_at_the_caret(tabs):
    mo, ned = user("mo"), user("ned")
    actions.do_open_direct(mo, ned)
    m = tabs().sign_in("mo")
    m.open_conversation("ned")
    box = m.page.locator("#composer-text")
    box.fill("good night")
    box.press("End")
    m.page.get_by_role("button", name="Insert an emoji").click()
    picker = m.page.get_by_role("dialog", name="Insert an emoji")
    picker.get_by_role("button", name="Animals and nature").click()
    first = picker.locator(".emoji-grid button").first
    expect(first).to_be_visible()
    first.focus()
    m.page.keyboard.press("ArrowRight")
    second = picker.locator(".emoji-grid button").nth(1)
    expect(second).to_be_focused()
    chosen = second.inner_text()
    m.page.keyboard.press("Enter")
    expect(box).to_have_value(f"good night{chosen}")
    expect(box).to_be_focused()

    # a search that finds nothing says so
    m.page.get_by_role("button", name="Insert an emoji").click()
    m.page.get_by_role("searchbox", name="Search emoji").fill("zzzqqq")
    expect(m.page.get_by_role("dialog", name="Insert an emoji").get_by_role("status")).to_have_text(
        "No emoji matches “zzzqqq”."
    )


def test_shortcodes_complete_in_the_composer_and_a_finished_one_becomes_its_emoji(tabs):
    pia, quin = user("pia"), user("quin")
    actions.do_open_direct(pia, quin)
    p = tabs().sign_in("pia")
    q = tabs().sign_in("quin")
    p.open_conversation("quin")
    q.open_conversation("pia")
    box = p.page.locator("#composer-text")

    box.press_sequentially("well done :tad")
    options = p.page.locator("#mention-list [role=option]")
    expect(options.first).to_contain_text(":tada:")
    box.press("Tab")
    expect(box).to_have_value("well done 🎉")

    box.press_sequentially(" and :+1:")
    expect(box).to_have_value(re.compile("^well done 🎉 and 👍\ufe0f?$"))  # the emoji's presentation form
    # an unknown shortcode stays as typed
    box.press_sequentially(" :not_an_emoji_at_all:")
    expect(box).to_have_value(re.compile("^well done 🎉 and 👍\ufe0f? :not_an_emoji_at_all:$"))
    box.press("Enter")
    expect(q.message("well done 🎉 and 👍")).to_have_count(1)


def test_a_group_picked_while_the_emoji_list_is_still_loading_is_shown_when_it_arrives(tabs):
    # On a slow line the list arrives after the first click: the click is kept, and nothing throws
    # (the suite fails a test on any page error).
    pia, quin = user("pia"), user("quin")
    actions.do_open_direct(pia, quin)
    p = tabs().sign_in("pia")
    p.open_conversation("quin")
    held = []
    p.page.route("**/compact.json", lambda route: held.append(route))
    with p.page.expect_request("**/compact.json"):
        p.page.get_by_role("button", name="Insert an emoji").click()
    picker = p.page.get_by_role("dialog", name="Insert an emoji")
    expect(picker.get_by_role("status")).to_have_text("Loading emoji…")
    picker.get_by_role("button", name="Animals and nature").click()
    expect(picker.get_by_role("button", name="Animals and nature")).to_have_attribute("aria-pressed", "true")
    assert held  # the list really was still on its way
    held[0].continue_()
    expect(picker.locator(".emoji-grid button").first).to_be_visible()
    expect(picker.get_by_role("status")).to_have_text("")
