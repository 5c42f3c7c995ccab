"""Knox token authentication for every REST request and every socket connect, in one query.

Knox's own class reads the token with its user, then every other token of that user (to delete
the expired ones), then, in chatsite, the token's scope row (accounts.bots): three round trips
and their ORM work on each request. This one reads the token, its user and its scope together,
and deletes only the presented token when it has expired. The user's other expired tokens are
harmless (they are refused, and deleted, when presented) and go at the next login
(accounts.actions._make_room_for_token).
"""

import binascii
from hmac import compare_digest

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme
from knox import auth as knox_auth
from knox.crypto import hash_token
from knox.models import get_token_model
from knox.settings import CONSTANTS, knox_settings
from knox.signals import token_expired
from rest_framework import exceptions


class TokenAuthentication(knox_auth.TokenAuthentication):
    def authenticate_credentials(self, token):
        refused = exceptions.AuthenticationFailed(_("Invalid token."))
        token = token.decode("utf-8")
        try:
            digest = hash_token(token)
        except (TypeError, binascii.Error):
            raise refused from None
        # Several rows may share a key prefix: compare each one's digest, in constant time.
        rows = get_token_model().objects.filter(token_key=token[: CONSTANTS.TOKEN_KEY_LENGTH])
        for auth_token in rows.select_related("user", "scope"):
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
