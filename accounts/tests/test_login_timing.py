"""Every login answer costs the same password hashing, so its timing tells nothing about the
account. Counted, not timed: each answer runs the hasher exactly once."""

import pytest
from django.contrib.auth.hashers import MD5PasswordHasher
from django.test import override_settings

from testkit.factories import PASSWORD

pytestmark = pytest.mark.django_db


class CountingHasher(MD5PasswordHasher):
    calls = 0

    def encode(self, password, salt):
        CountingHasher.calls += 1
        return super().encode(password, salt)


def hashes_for(client, username, password):
    CountingHasher.calls = 0
    response = client.post("/api/v1/auth/login", {"username": username, "password": password}, format="json")
    return response.status_code, CountingHasher.calls


@override_settings(PASSWORD_HASHERS=["accounts.tests.test_login_timing.CountingHasher"])
def test_every_login_answer_hashes_the_password_once(make_user, api_client):
    make_user("active")
    make_user("banned", is_active=False)
    assert hashes_for(api_client, "nobody", "wrong-password") == (400, 1)
    assert hashes_for(api_client, "active", "wrong-password") == (400, 1)
    assert hashes_for(api_client, "banned", "wrong-password") == (400, 1)
    assert hashes_for(api_client, "banned", PASSWORD) == (403, 1)
    assert hashes_for(api_client, "active", PASSWORD) == (200, 1)
