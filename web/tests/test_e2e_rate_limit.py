"""Sending faster than the rate limit, against a server of its own with a small limit."""

import pytest
from playwright.sync_api import expect

from chats import actions
from chats.models import StoredMessage
from chatsite.testing_server import asgi_server, serving_env
from testkit.services import deadline
from web.tests.browser import Tab, user

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def strict_url(base_url):
    # base_url first: the shared server checked the services and the database is set up
    env = serving_env(DJANGO_SETTINGS_MODULE="web.tests.e2e_settings", MESSAGE_RATE_LIMIT="3/4s")
    with asgi_server(env) as url:
        yield url


@pytest.fixture
def strict_tab(browser, strict_url):
    tab = Tab(browser, strict_url)
    yield tab
    assert not tab.errors, tab.errors
    tab.context.close()


def test_sending_too_fast_says_so_and_when_sending_resumes_then_sends_everything_once(strict_tab):
    fox, gil = user("fox"), user("gil")
    conversation, _ = actions.do_open_direct(fox, gil)
    f = strict_tab.sign_in("fox")
    f.open_conversation("gil")
    texts = [f"quick {n}" for n in range(1, 9)]  # 8 in a moment: one fixed window of 3 overflows
    for text in texts:
        f.write(text)
    expect(f.page.locator("#message-list .pending .state").first).to_contain_text(
        "You are sending too fast. Sending resumes at"
    )
    f.shot("rate-limited")
    expect(f.page.locator("#message-list .message:not(.pending)")).to_have_count(len(texts), timeout=deadline() * 1000)
    assert f.texts() == texts
    stored = StoredMessage.objects.filter(conversation_id=conversation.id).order_by("seq")
    assert list(stored.values_list("text", flat=True)) == texts
