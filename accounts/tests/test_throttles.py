"""Sign-in and sign-up are rate limited per account and per client address: 429 with Retry-After,
and the right password works again once the window has passed."""

import itertools
import time

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from testkit.api import assert_error
from testkit.factories import PASSWORD

pytestmark = pytest.mark.django_db

_addresses = itertools.count(1)


@pytest.fixture
def clock(monkeypatch):
    """time.time under the test's control, starting in a window no other test has used."""

    class Clock:
        now = time.time() + 10_000_000 + next(_addresses) * 100_000

        def advance(self, seconds):
            self.now += seconds

    fake = Clock()
    monkeypatch.setattr(time, "time", lambda: fake.now)
    return fake


def client_from(address=None):
    return APIClient(REMOTE_ADDR=address or f"10.9.{next(_addresses) % 250}.{next(_addresses) % 250}")


def login(client, username, password):
    return client.post("/api/v1/auth/login", {"username": username, "password": password}, format="json")


@override_settings(LOGIN_RATE_LIMIT_PER_ACCOUNT="5/m", LOGIN_RATE_LIMIT_PER_ADDRESS="1000/m")
def test_failed_logins_to_one_account_are_refused_with_429_then_the_right_password_works(make_user, clock):
    make_user("alice")
    answers = [login(client_from(), "alice", "wrong-password").status_code for _ in range(8)]
    assert answers[:6] == [400] * 6  # the sixth failure crosses the limit
    assert answers[6:] == [429, 429]
    # Even the right password waits: a guesser must not learn it was right.
    response = login(client_from(), "ALICE", PASSWORD)
    assert_error(response, 429, "rate_limited")
    retry_after = int(response["Retry-After"])
    assert 1 <= retry_after <= 60
    clock.advance(retry_after)
    assert login(client_from(), "alice", PASSWORD).status_code == 200


@override_settings(LOGIN_RATE_LIMIT_PER_ACCOUNT="5/m", LOGIN_RATE_LIMIT_PER_ADDRESS="1000/m")
def test_unknown_usernames_are_limited_like_real_ones(db, clock):
    answers = [login(client_from(), "nobody-here", "x").status_code for _ in range(7)]
    assert answers[-1] == 429


@override_settings(LOGIN_RATE_LIMIT_PER_ACCOUNT="1000/m", LOGIN_RATE_LIMIT_PER_ADDRESS="10/m")
def test_login_attempts_from_one_address_are_limited_across_accounts(make_user, clock):
    make_user("alice")
    client = client_from()
    answers = [login(client, f"user{i}", "x").status_code for i in range(10)]
    assert answers == [400] * 10
    response = login(client, "alice", PASSWORD)
    assert_error(response, 429, "rate_limited")
    assert int(response["Retry-After"]) >= 1
    # Another address is not held back.
    assert login(client_from(), "alice", PASSWORD).status_code == 200
    clock.advance(int(response["Retry-After"]))
    assert login(client, "alice", PASSWORD).status_code == 200


@override_settings(REGISTER_RATE_LIMIT_PER_ADDRESS="3/h")
def test_registrations_from_one_address_are_limited(db, clock):
    client = client_from()

    def register(i):
        body = {"username": f"newbie{i}", "password": PASSWORD}
        return client.post("/api/v1/auth/register", body, format="json")

    assert [register(i).status_code for i in range(3)] == [201] * 3
    response = register(3)
    assert_error(response, 429, "rate_limited")
    assert 1 <= int(response["Retry-After"]) <= 3600
    clock.advance(int(response["Retry-After"]))
    assert register(4).status_code == 201


def test_the_address_is_the_peer_and_x_forwarded_for_is_not_trusted_by_default(rf):
    from accounts.throttles import client_address

    request = rf.get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="1.2.3.4, 10.0.0.9")
    assert client_address(request) == "10.0.0.1"  # a client can't pick its own address
