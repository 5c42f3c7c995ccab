"""Knox token authentication for every REST request and every socket connect, in one query.

Knox's own class reads the token with its user, then every other token of that user (to delete
the expired ones), then, in chatsite, the token's scope row (accounts.bots): three round trips
and their ORM work on each request. This one reads the token, its user and its scope together,
and deletes only the presented token when it has expired. The user's other expired tokens are
harmless (they are refused, and deleted, when presented) and go at the next login
(accounts.actions._make_room_for_token).

The read is plain SQL, turned into the same model instances the ORM would make
(chatsite.plain_rows): building the joined query through the ORM cost about ten times the round
trip, on every request and every socket connect.
"""

import binascii
from functools import cache
from hmac import compare_digest

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme
from knox import auth as knox_auth
from knox.crypto import hash_token
from knox.models import get_token_model
from knox.settings import CONSTANTS, knox_settings
from knox.signals import token_expired
from rest_framework import exceptions

from accounts.models import TokenScope, User
from chatsite.plain_rows import Shape


class TokenAuthentication(knox_auth.TokenAuthentication):
    def authenticate_credentials(self, token):
        refused = exceptions.AuthenticationFailed(_("Invalid token."))
        token = token.decode("utf-8")
        try:
            digest = hash_token(token)
        except (TypeError, binascii.Error):
            raise refused from None
        # Several rows may share a key prefix: compare each one's digest, in constant time.
        for auth_token in tokens_with_key(token[: CONSTANTS.TOKEN_KEY_LENGTH]):
            if not compare_digest(digest, auth_token.digest):
                continue
            if auth_token.expiry is not None and auth_token.expiry < timezone.now():
                auth_token.delete()
                token_expired.send(sender=self.__class__, username=auth_token.user.get_username(), source="auth_token")
                raise refused
            if knox_settings.AUTO_REFRESH and auth_token.expiry:
                self.renew_token(auth_token)
            return self.validate_user(auth_token)
        raise refused


class TokenScheme(KnoxTokenScheme):
    """The API schema describes this class as it describes knox's: the same bearer token."""

    target_class = "accounts.tokens.TokenAuthentication"


def tokens_with_key(token_key):
    """The tokens whose key is `token_key`, each with its user and its scope row (or none: a
    person's token) already attached, as select_related("user", "scope") would leave them."""
    shape, sql = _token_read(connection.vendor)
    found = []
    for token, user, scope in shape.read(sql, [token_key]):
        token_model = type(token)
        token_model.user.field.set_cached_value(token, user)
        token_model.scope.related.set_cached_value(token, scope)  # None: no row, as select_related says
        if scope is not None:
            TokenScope.token.field.set_cached_value(scope, token)
        found.append(token)
    return found


@cache
def _token_read(vendor):
    """The shape of the rows and the statement, once per database vendor."""
    token_model = get_token_model()
    shape = Shape((token_model, "t"), (User, "u"), (TokenScope, "s"))
    qn = connection.ops.quote_name

    def col(model, name):
        return qn(model._meta.get_field(name).column)

    # Only the models' table and column names go into the text; the key is a parameter.
    sql = " ".join(
        [
            f"SELECT {shape.columns} FROM {qn(token_model._meta.db_table)} t",  # noqa: S608  # nosec B608
            f"JOIN {qn(User._meta.db_table)} u ON u.{qn(User._meta.pk.column)} = t.{col(token_model, 'user')}",
            f"LEFT JOIN {qn(TokenScope._meta.db_table)} s",
            f"ON s.{col(TokenScope, 'token')} = t.{qn(token_model._meta.pk.column)}",
            f"WHERE t.{col(token_model, 'token_key')} = %s",
        ]
    )
    return shape, sql
