"""Join and leave lines in a channel's log, in Chromium: from history, and live."""

import pytest
from playwright.sync_api import expect

from chats import actions
from web.tests.browser import user

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def notices(tab):
    return tab.page.locator("#message-list .notice-line")


def test_joins_leaves_and_removals_show_in_the_channel_log_from_history_and_live(tabs):
    alice, bob, carol, dan = user("alice"), user("bob"), user("carol", display_name="Carol"), user("dan")
    lobby = actions.do_create_conversation(alice, kind="channel", title="lobby", is_public=True)
    actions.do_join(bob, lobby.id)
    actions.do_send_message(bob, lobby.id, text="hello all", client_id="n-1")
    actions.do_join(carol, lobby.id)
    actions.do_kick(alice, lobby.id, carol)
    a = tabs().sign_in("alice")
    a.open_conversation("#lobby")
    expect(notices(a)).to_have_text(["You joined", "bob joined", "Carol joined", "Carol was removed"])
    # in seq order among the messages
    entries = a.page.locator("#message-list > li.notice-line, #message-list > li.message .text")
    expect(entries).to_have_text(["You joined", "bob joined", "hello all", "Carol joined", "Carol was removed"])

    actions.do_join(dan, lobby.id)
    expect(notices(a)).to_have_text(["You joined", "bob joined", "Carol joined", "Carol was removed", "dan joined"])
    actions.do_leave(bob, lobby.id)
    expect(notices(a).last).to_have_text("bob left")
    # text nodes only: a name is shown as written, never as markup
    mallory = user("mallory", display_name="<b>Mal</b>")
    actions.do_invite(alice, lobby.id, mallory)
    expect(notices(a).last).to_have_text("<b>Mal</b> was added by You")
    assert a.page.locator("#message-list .notice-line b").count() == 0
