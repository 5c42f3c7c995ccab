"""Who is on the other end of a socket: the Origin check, the subprotocol, and knox tokens."""

from importlib import import_module
from types import SimpleNamespace
from urllib.parse import urlparse

from channels.security.websocket import OriginValidator
from django.conf import settings
from django.contrib import auth
from django.http.cookie import parse_cookie
from rest_framework.exceptions import AuthenticationFailed

from accounts import bots
from accounts.tokens import TokenAuthentication
from gateway import fanout
from gateway.protocol import SUBPROTOCOL, TOKEN_SUBPROTOCOL_PREFIX

ABSENT, ALLOWED, REFUSED = "absent", "allowed", "refused"


def allowed_origins():
    # Patterns as Channels' OriginValidator reads them: "https://chat.example.com", ".example.com", "*".
    return settings.WEBSOCKET_ALLOWED_ORIGINS or settings.ALLOWED_HOSTS


def check_origin(scope):
    """ABSENT (a native client), ALLOWED, or REFUSED."""
    values = [value for name, value in scope.get("headers", []) if name == b"origin"]
    if not values:
        return ABSENT
    try:
        origin = urlparse(values[0].decode("latin1"))
    except ValueError:
        return REFUSED
    # Only the matching rules are borrowed; the validator's own refusal would close without a code.
    matcher = OriginValidator(None, allowed_origins())
    return ALLOWED if matcher.valid_origin(origin) else REFUSED


def subprotocol_offer(scope):
    """(the subprotocol to answer or None, a token offered as `token.<TOKEN>` or None, version ok)."""
    offered = scope.get("subprotocols") or []
    if not offered:
        return None, None, True
    token = next((p[len(TOKEN_SUBPROTOCOL_PREFIX) :] for p in offered if p.startswith(TOKEN_SUBPROTOCOL_PREFIX)), None)
    if SUBPROTOCOL not in offered:
        return None, token, False
    return SUBPROTOCOL, token, True


def user_for_token(token):
    """(the active user, the credential) of a valid, unexpired knox token, or None. Sync: it reads
    (and may renew) the token row, exactly as the REST API does. The credential is what a logout
    of that device names to close its sockets."""
    if not isinstance(token, str) or not token or len(token) > 256 or not token.isascii():
        return None
    try:
        user, instance = TokenAuthentication().authenticate_credentials(token.encode())
    except AuthenticationFailed:
        return None
    if not bots.allows_socket(instance):
        return None
    return user, fanout.credential_of_token(instance.token_key)


def session_cookie(scope):
    """The session key the browser's cookie offers, or None. Parsed here, for the sockets that may
    use it, not into a copy of every socket's scope that it keeps open (Channels' CookieMiddleware)."""
    values = [value.decode("latin1") for name, value in scope.get("headers", []) if name == b"cookie"]
    if not values:
        return None
    return parse_cookie("; ".join(values)).get(settings.SESSION_COOKIE_NAME) or None


def session_user(key):
    """(the user, the credential) that the session `key` is signed in as, or None. Sync: it reads
    the session and the user, and checks the session's hash of the password, as Django's own
    middleware does for a request. Only a socket that offers a cookie and no token pays for it
    (Channels' session and auth middleware would read it for every socket, and wrap each frame
    sent)."""
    session = import_module(settings.SESSION_ENGINE).SessionStore(key)
    user = auth.get_user(SimpleNamespace(session=session))
    if not user.is_authenticated or not user.is_active or session.session_key is None:
        return None
    return user, fanout.credential_of_session(session.session_key)
