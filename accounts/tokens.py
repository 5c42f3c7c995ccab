"""Knox token authentication for every REST request and every socket connect, in one query.

Knox's own class reads the token with its user, then every other token of that user (to delete
the expired ones), then, in chatsite, the token's scope row (accounts.bots): three round trips
and their ORM work on each request. This one reads the token, its user and its scope together,
and deletes only the presented token when it has expired. The user's other expired tokens are
harmless (they are refused, and deleted, when presented) and go at the next login
(accounts.actions._make_room_for_token).

The read is plain SQL, turned into the same model instances the ORM would make (with the
database's converters applied, as Django's raw querysets do): building the joined query through
the ORM cost about ten times the round trip, on every request and every socket connect.
"""

import binascii
from functools import cache
from hmac import compare_digest

from django.db import connection
from django.db.models.sql import Query
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
    read = _token_read(connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(read.sql, [token_key])
        rows = cursor.fetchall()
    if read.converters:
        rows = read.compiler.apply_converters(rows, read.converters)
    return [_token_of(row, read.widths) for row in rows]


class _TokenRead:
    """The statement, once per database vendor, and what turns its rows into models."""

    def __init__(self):
        token_model = get_token_model()
        parts = [(token_model, "t"), (User, "u"), (TokenScope, "s")]
        qn = connection.ops.quote_name
        fields = [(alias, f) for model, alias in parts for f in model._meta.concrete_fields]
        column = ", ".join(f"{alias}.{qn(f.column)}" for alias, f in fields)

        def col(model, name):
            return qn(model._meta.get_field(name).column)

        # Only the models' table and column names go into the text; the key is a parameter.
        self.sql = " ".join(
            [
                f"SELECT {column} FROM {qn(token_model._meta.db_table)} t",  # noqa: S608  # nosec B608
                f"JOIN {qn(User._meta.db_table)} u ON u.{qn(User._meta.pk.column)} = t.{col(token_model, 'user')}",
                f"LEFT JOIN {qn(TokenScope._meta.db_table)} s",
                f"ON s.{col(TokenScope, 'token')} = t.{qn(token_model._meta.pk.column)}",
                f"WHERE t.{col(token_model, 'token_key')} = %s",
            ]
        )
        self.widths = [len(model._meta.concrete_fields) for model, _ in parts]
        self.compiler = connection.ops.compiler("SQLCompiler")(Query(token_model), connection, connection.alias)
        self.converters = self.compiler.get_converters([f.get_col(f.model._meta.db_table) for _, f in fields])


@cache
def _token_read(vendor):
    return _TokenRead()


def _token_of(row, widths):
    token_model = get_token_model()
    row = list(row)
    n_token, n_user, _ = widths
    token = _model_of(token_model, row[:n_token])
    user = _model_of(User, row[n_token : n_token + n_user])
    scope_values = row[n_token + n_user :]
    scope = _model_of(TokenScope, scope_values) if scope_values[0] is not None else None
    token_model.user.field.set_cached_value(token, user)
    token_model.scope.related.set_cached_value(token, scope)  # None: no row, as select_related says
    if scope is not None:
        TokenScope.token.field.set_cached_value(scope, token)
    return token


def _model_of(model, values):
    return model.from_db(connection.alias, [f.attname for f in model._meta.concrete_fields], values)
