"""Who may open a socket, and the close codes of those who may not."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone
from knox.models import AuthToken

from gateway.protocol import Close
from testkit.sockets import (
    ORIGIN,
    connect,
    in_thread,
    open_socket,
    session_cookie,
    token_for,
)

pytestmark = pytest.mark.django_db(transaction=True)


async def test_a_token_in_the_subprotocol_authenticates_and_is_answered_with_the_protocol(alice, group):
    token = await token_for(alice)
    client = await open_socket(subprotocols=["chatsite.v1", f"token.{token}"])
    hello = await client.recv()
    assert hello["type"] == "hello" and hello["v"] == 1 and hello["user_id"] == alice.pk
    assert hello["conversations"] == [str(group.id)]


async def test_the_accepted_subprotocol_is_chatsite_v1(alice):
    token = await token_for(alice)
    from testkit.sockets import communicator

    comm = communicator(subprotocols=["chatsite.v1", f"token.{token}"])
    connected, subprotocol = await comm.connect()
    assert connected and subprotocol == "chatsite.v1"
    await comm.disconnect()


async def test_a_token_in_the_first_frame_authenticates(alice):
    client = await open_socket(headers=())  # a native client: no Origin
    hello = await client.request({"type": "auth", "token": await token_for(alice)})
    assert hello["type"] == "hello" and hello["user_id"] == alice.pk


async def test_the_session_cookie_authenticates_a_browser_from_an_allowed_origin(alice):
    cookie = await in_thread(session_cookie, alice)
    client = await open_socket(headers=(ORIGIN, cookie))
    assert (await client.recv())["type"] == "hello"


async def test_a_cookie_of_an_unknown_session_or_after_a_password_change_does_not_authenticate(alice):
    name = settings.SESSION_COOKIE_NAME
    forged = (b"cookie", f"{name}=0123456789abcdefghijklmnopqrstuv".encode())
    cookie = await in_thread(session_cookie, alice)

    def change_password():
        alice.set_password("a new secret")
        alice.save()

    await in_thread(change_password)
    for offered in (forged, cookie):
        client = await open_socket(headers=(ORIGIN, offered))
        await client.send({"type": "ping"})
        assert await client.closed() == Close.UNAUTHENTICATED


async def test_a_cookie_without_origin_does_not_authenticate(alice):
    cookie = await in_thread(session_cookie, alice)
    client = await open_socket(headers=(cookie,))
    await client.send({"type": "ping"})
    assert await client.closed() == Close.UNAUTHENTICATED


async def test_a_bad_origin_is_refused_even_with_a_valid_token(alice):
    token = await token_for(alice)
    client = await open_socket(
        headers=((b"origin", b"https://evil.example"),), subprotocols=["chatsite.v1", f"token.{token}"]
    )
    assert await client.closed() == Close.FORBIDDEN_ORIGIN


async def test_allowed_origins_come_from_the_setting_when_set(settings, alice):
    settings.WEBSOCKET_ALLOWED_ORIGINS = ["https://chat.example.com"]
    cookie = await in_thread(session_cookie, alice)
    refused = await open_socket(headers=(ORIGIN, cookie))
    assert await refused.closed() == Close.FORBIDDEN_ORIGIN
    allowed = await open_socket(headers=((b"origin", b"https://chat.example.com"), cookie))
    assert (await allowed.recv())["type"] == "hello"


async def test_no_credentials_close_after_the_auth_timeout(settings):
    settings.WS_AUTH_TIMEOUT = 0.2
    client = await open_socket()
    assert await client.closed() == Close.AUTH_TIMEOUT


async def test_a_frame_before_auth_closes_as_unauthenticated():
    client = await open_socket()
    await client.send({"type": "send", "conversation_id": "x", "client_id": "a", "text": "hi"})
    assert await client.closed() == Close.UNAUTHENTICATED


@pytest.mark.parametrize("where", ["subprotocol", "frame"])
async def test_a_wrong_token_closes_as_unauthenticated(where):
    token = "0" * 64
    if where == "subprotocol":
        client = await open_socket(subprotocols=["chatsite.v1", f"token.{token}"])
    else:
        client = await open_socket()
        await client.send({"type": "auth", "token": token})
    assert await client.closed() == Close.UNAUTHENTICATED


async def test_an_expired_token_closes_as_unauthenticated(alice):
    def expired_token():
        instance, token = AuthToken.objects.create(alice)
        AuthToken.objects.filter(pk=instance.pk).update(expiry=timezone.now() - timedelta(minutes=1))
        return token

    client = await open_socket(subprotocols=["chatsite.v1", f"token.{await in_thread(expired_token)}"])
    assert await client.closed() == Close.UNAUTHENTICATED


async def test_a_deactivated_users_token_closes_as_unauthenticated(alice):
    token = await token_for(alice)
    alice.is_active = False
    await in_thread(alice.save)
    client = await open_socket(subprotocols=["chatsite.v1", f"token.{token}"])
    assert await client.closed() == Close.UNAUTHENTICATED


async def test_another_protocol_version_is_refused(alice):
    token = await token_for(alice)
    client = await open_socket(subprotocols=["chatsite.v2", f"token.{token}"])
    assert await client.closed() == Close.UNSUPPORTED_VERSION
    client = await open_socket(path="/ws/v2/")
    assert await client.closed() == Close.UNSUPPORTED_VERSION


async def test_an_unknown_path_is_refused():
    client = await open_socket(path="/ws/nothing-here/")
    assert await client.closed() == Close.NOT_FOUND


async def test_a_second_auth_frame_is_an_error_not_a_new_identity(alice, bob):
    client = await connect(alice)
    answer = await client.request({"type": "auth", "token": await token_for(bob)})
    assert answer["type"] == "error" and answer["error"]["code"] == "already_authenticated"
    assert (await client.request({"type": "ping"}))["type"] == "pong"


@pytest.mark.parametrize(
    ("headers", "key"),
    [
        ([(b"cookie", b"theme=dark; sessionid=abc123; csrftoken=x")], "abc123"),
        ([(b"cookie", b"theme=dark"), (b"cookie", b"sessionid=abc123")], "abc123"),  # split over two headers
        ([(b"cookie", b"theme=dark")], None),
        ([(b"cookie", b"sessionid=")], None),
        ([(b"user-agent", b"sessionid=abc123")], None),  # not a cookie
        ([], None),
    ],
)
def test_the_session_key_is_read_from_the_cookie_headers_alone(headers, key):
    from gateway.socket import auth

    assert settings.SESSION_COOKIE_NAME == "sessionid"
    assert auth.session_cookie({"headers": headers}) == key
