"""Token authentication: one query per request, expired tokens refused and removed."""

from datetime import timedelta

import pytest
from django.utils import timezone
from knox.models import AuthToken
from knox.settings import CONSTANTS

from accounts.bots import scopes_of
from accounts.tokens import TokenAuthentication, tokens_with_key
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


def test_the_token_read_makes_the_same_token_user_and_scope_as_the_orm(alice):
    # Plain SQL turned into models: every field must come back as the ORM gives it (datetimes,
    # booleans and keys on each database).
    _, bot_token = bot_of(alice, "echo", scopes=["read", "send"])
    (token,) = tokens_with_key(bot_token[: CONSTANTS.TOKEN_KEY_LENGTH])
    orm = AuthToken.objects.select_related("user", "scope").get(pk=token.pk)

    for got, expected in [(token, orm), (token.user, orm.user), (token.scope, orm.scope)]:
        assert type(got) is type(expected)
        assert fields_of(got) == fields_of(expected)
    assert token.scope.token is token  # the scope row points back at this very token


def test_a_person_token_read_has_no_scope_row_and_an_unknown_key_reads_nothing(alice):
    _, person = AuthToken.objects.create(alice)
    (token,) = tokens_with_key(person[: CONSTANTS.TOKEN_KEY_LENGTH])
    assert token.user == alice and scopes_of(token) is None
    assert tokens_with_key("0" * CONSTANTS.TOKEN_KEY_LENGTH) == []


def fields_of(instance):
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}
