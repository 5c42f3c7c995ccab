"""axe-core (from npm, web/tests/package.json: `cd web/tests && npm ci`) on the main screens: no
serious or critical violation, light and dark, desktop and phone width."""

import json

import pytest
from playwright.sync_api import expect

from chats import actions
from web.tests.browser import user

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def test_the_main_screens_have_no_serious_accessibility_violation(tabs, axe):
    ada, ben = user("ada"), user("ben", display_name="Ben")
    direct, _ = actions.do_open_direct(ada, ben)
    actions.do_create_conversation(ada, kind="channel", title="lobby", topic="Hello", is_public=True)
    for n in range(1, 6):
        actions.do_send_message(ben, direct.id, text=f"**note** {n} https://example.com/{n}", client_id=f"a11y-{n}")
    found = {}

    t = tabs()
    t.open()
    expect(t.page.locator("#login-username")).to_be_visible()
    found["sign-in"] = axe(t.page)
    t.sign_in("ada")
    t.open_conversation("Ben")
    expect(t.message("note 5")).to_have_count(1)
    found["chat"] = axe(t.page)
    t.page.emulate_media(color_scheme="dark")
    found["chat, dark"] = axe(t.page)
    t.page.emulate_media(color_scheme="light")
    for button, name in (("New", "new"), ("Details", "details"), ("Search", "search"), ("Channels", "channels")):
        t.page.get_by_role("button", name=button, exact=True).click()
        expect(t.page.locator("dialog[open]")).to_be_visible()
        found[f"{name} dialog"] = axe(t.page)
        t.page.keyboard.press("Escape")
    t.page.keyboard.press("Control+k")
    found["switcher"] = axe(t.page)
    t.page.keyboard.press("Escape")

    user("eve")
    p = tabs(viewport={"width": 390, "height": 760}).sign_in("eve")
    expect(p.page.get_by_role("button", name="Join #lobby")).to_be_attached()
    found["first run, phone"] = axe(p.page)

    bad = {screen: v for screen, v in found.items() if v}
    print(json.dumps(bad, indent=1))
    assert bad == {}
