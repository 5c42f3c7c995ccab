"""Token authentication: one query per request, expired tokens refused and removed."""

from datetime import timedelta

import pytest
from django.utils import timezone
from knox.models import AuthToken

from accounts.bots import scopes_of
from accounts.tokens import TokenAuthentication
from testkit.api import assert_error, token_client
from testkit.factories import bot_of

pytestmark = pytest.mark.django_db


def test_a_token_is_checked_with_its_user_and_scope_in_one_query(alice, django_assert_num_queries):
    _, person = AuthToken.objects.create(alice)
    _, bot_token = bot_of(alice, "echo", scopes=["read"])
    with django_assert_num_queries(1):
        user, token = TokenAuthentication().authenticate_credentials(person.encode())
        assert user == alice and scopes_of(token) is None  # a person's token: no scope row
    with django_assert_num_queries(1):
        user, token = TokenAuthentication().authenticate_credentials(bot_token.encode())
        assert user.username == "echo" and scopes_of(token) == {"read"}


def test_an_expired_token_is_refused_and_deleted_and_the_users_other_tokens_stay(alice):
    stale, stale_token = AuthToken.objects.create(alice)
    _, fresh_token = AuthToken.objects.create(alice)
    AuthToken.objects.filter(pk=stale.pk).update(expiry=timezone.now() - timedelta(seconds=1))

    assert_error(token_client(stale_token).get("/api/v1/me"), 401)
    assert not AuthToken.objects.filter(pk=stale.pk).exists()
    assert token_client(fresh_token).get("/api/v1/me").status_code == 200


def test_a_wrong_or_malformed_token_is_refused(alice):
    _, token = AuthToken.objects.create(alice)
    wrong = token[:-1] + ("0" if token[-1] != "0" else "1")
    assert_error(token_client(wrong).get("/api/v1/me"), 401)
    assert_error(token_client("not hex at all").get("/api/v1/me"), 401)
    assert token_client(token).get("/api/v1/me").status_code == 200


def test_an_inactive_users_token_is_refused(alice):
    _, token = AuthToken.objects.create(alice)
    alice.is_active = False
    alice.save(update_fields=["is_active"])
    assert_error(token_client(token).get("/api/v1/me"), 401)
