"""A socket lives as long as the credential it opened with: a device's logout closes that
device's sockets, a password change closes every other device's."""

import pytest
from rest_framework.test import APIClient

from gateway.protocol import Close
from testkit.factories import PASSWORD
from testkit.sockets import ORIGIN, in_thread, open_socket, session_cookie, token_for

pytestmark = pytest.mark.django_db(transaction=True)


async def _socket_with_token(token):
    client = await open_socket(subprotocols=["chatsite.v1", f"token.{token}"])
    return await client.start()


def _api(token):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return api


async def test_a_devices_logout_closes_its_sockets_and_no_other(alice):
    phone_token, laptop_token = await token_for(alice), await token_for(alice)
    phone, laptop = await _socket_with_token(phone_token), await _socket_with_token(laptop_token)

    response = await in_thread(lambda: _api(phone_token).post("/api/v1/auth/logout"))
    assert response.status_code == 204

    assert await phone.closed() == Close.UNAUTHENTICATED
    assert (await laptop.request({"type": "ping"}))["type"] == "pong"


async def test_a_browser_logout_closes_the_sockets_of_that_session(alice):
    cookie = await in_thread(session_cookie, alice)
    browser = await (await open_socket(headers=(ORIGIN, cookie))).start()
    phone = await _socket_with_token(await token_for(alice))

    def log_out():
        client = APIClient()
        client.cookies.load(cookie[1].decode())
        return client.post("/api/v1/auth/logout")

    assert (await in_thread(log_out)).status_code == 204
    assert await browser.closed() == Close.UNAUTHENTICATED
    assert (await phone.request({"type": "ping"}))["type"] == "pong"


async def test_a_password_change_closes_the_other_devices_sockets_and_keeps_its_own(alice):
    here_token, other_token = await token_for(alice), await token_for(alice)
    here, other = await _socket_with_token(here_token), await _socket_with_token(other_token)

    body = {"old_password": PASSWORD, "new_password": "a-Brand-new-passphrase-77"}
    response = await in_thread(lambda: _api(here_token).post("/api/v1/auth/password", body, format="json"))
    assert response.status_code in (200, 204), response.content

    assert await other.closed() == Close.UNAUTHENTICATED
    assert (await here.request({"type": "ping"}))["type"] == "pong"
