"""Open sockets when access is revoked, and the tombstone a moderator leaves, live and on resume.

In-process sockets use the configured channel layer: in-memory on the embedded run, Redis on the
services run. The last test also crosses processes: a ban made here closes a socket held by a
real server, through Redis."""

import pytest
from django.conf import settings
from django.test import Client as HttpClient

from accounts.actions import do_logout_all
from chatsite.testing_server import asgi_server, serving_env
from gateway.protocol import Close
from moderation import actions
from moderation.tests.helpers import MESSAGES, USERS
from testkit.factories import send
from testkit.services import require_service
from testkit.sockets import (  # noqa: F401 - fixtures
    ORIGIN,
    Client,
    OverTcp,
    _open,
    clean_realtime_state,
    close_sockets,
    communicator,
    connect,
    deadline,
    in_thread,
    open_socket,
    session_cookie,
    token_for,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("clean_realtime_state", "close_sockets")]


async def test_a_ban_in_the_admin_closes_every_open_socket_of_the_user_with_4410_and_no_other(
    browser, moderator, alice, bob, group
):
    phone, laptop, other = await connect(bob), await connect(bob), await connect(alice)
    banned = await in_thread(lambda: browser(moderator).action(USERS, "ban_users", [bob], reason="abuse"))
    assert banned.status_code == 302
    assert await phone.closed() == Close.ACCOUNT_DISABLED
    assert await laptop.closed() == Close.ACCOUNT_DISABLED
    assert (await other.request({"type": "ping"}))["type"] == "pong"


async def test_a_deactivation_closes_the_sockets_the_same_way(moderator, bob):
    socket = await connect(bob)
    await in_thread(actions.do_deactivate_user, moderator, bob, "asked to leave")
    assert await socket.closed() == Close.ACCOUNT_DISABLED


async def test_a_banned_user_cannot_open_a_socket_with_an_old_token_or_session(moderator, bob):
    token = await token_for(bob)
    cookie = await in_thread(session_cookie, bob)
    await in_thread(actions.do_ban_user, moderator, bob, "abuse")
    by_token = await open_socket(subprotocols=["chatsite.v1", f"token.{token}"])
    assert await by_token.closed() == Close.UNAUTHENTICATED
    by_cookie = await open_socket(headers=(ORIGIN, cookie))
    await by_cookie.send({"type": "ping"})
    assert await by_cookie.closed() == Close.UNAUTHENTICATED


async def test_a_socket_that_authenticated_just_before_a_ban_is_closed_when_it_starts(moderator, bob, monkeypatch):
    """The ban commits between the socket's authentication and its joining the user's group, so
    the disconnect notice cannot reach it: the start re-reads the account and closes."""
    from gateway.socket import auth

    stale = await in_thread(lambda: type(bob).objects.get(pk=bob.pk))  # authenticated, still active
    await in_thread(actions.do_ban_user, moderator, bob, "abuse")
    # The session was read just before the ban committed.
    monkeypatch.setattr(auth, "session_user", lambda key: (stale, "session:before-the-ban"))
    comm = communicator("/ws/v1/", (ORIGIN, (b"cookie", f"{settings.SESSION_COOKIE_NAME}=k".encode())), None)
    _open.append(comm)
    connected, _ = await comm.connect(timeout=deadline())
    assert connected
    closed = await comm.receive_output(timeout=deadline())
    assert closed == {"type": "websocket.close", "code": Close.ACCOUNT_DISABLED}


async def test_log_out_everywhere_closes_the_users_open_sockets(bob):
    socket = await connect(bob)

    def log_out_everywhere():
        browser = HttpClient()
        browser.force_login(bob)
        request = browser.get("/api/v1/me").wsgi_request  # a request that carries bob and his session
        do_logout_all(request)

    await in_thread(log_out_everywhere)
    assert await socket.closed() == Close.UNAUTHENTICATED


async def test_the_author_sees_a_moderators_tombstone_live_and_on_resume(store, browser, moderator, alice, bob, group):
    message = await in_thread(send, bob, group, "something vile")
    live = await connect(bob)
    admin = await in_thread(browser, moderator)
    deleted = await in_thread(admin.post, f"{MESSAGES}{message.id}/delete/", {"reason": "hate speech"})
    assert deleted.status_code == 302
    [event] = await live.events(group.id, 1)
    assert (event["type"], event["actor_id"]) == ("message.deleted", moderator.pk)
    assert event["message"]["id"] == str(message.id) and event["message"]["deleted"] is True
    assert event["message"]["text"] == ""

    later = await connect(bob, resume={group.id: message.seq})
    [replayed] = await later.events(group.id, 1)
    assert replayed == event


@pytest.fixture(scope="module")
def server(django_db_setup):
    """A real daphne on the test database and the test Redis."""
    require_service("postgres")
    require_service("redis")
    with asgi_server(serving_env(), "daphne") as base:
        yield base.replace("http", "ws", 1)


@pytest.mark.services
async def test_a_ban_made_here_closes_a_socket_held_by_another_server_process(server, moderator, bob):
    from websockets.asyncio.client import connect as connect_tcp

    token = await token_for(bob)
    websocket = await connect_tcp(
        f"{server}/ws/v1/", subprotocols=["chatsite.v1", f"token.{token}"], proxy=None, open_timeout=deadline()
    )
    socket = await Client(OverTcp(websocket)).start()
    await in_thread(actions.do_ban_user, moderator, bob, "abuse")
    assert await socket.closed() == Close.ACCOUNT_DISABLED
