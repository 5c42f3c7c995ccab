"""Bot accounts and their scoped API tokens.

A bot is a user with `is_bot` set and an owner, made here and nowhere else. It has no usable
password, so it signs in only with tokens its owner issues, each with scopes:

- `read`: GET anything the bot may see (the conversations it was added to);
- `send`: send, edit, delete and react to messages, mark read;
- `manage`: every other write (members, titles...), still within the bot's own rights.

Which scope a request needs is decided by `needed_scope` (one place), asked by the REST API's
permission (`accounts.permissions.TokenScopePermission`) and by the WebSocket (`allows_socket`). What a bot may do
in chats (never create, join or open conversations itself) is chats' rule, on `is_bot`.
"""

from django.db import transaction
from knox.models import AuthToken
from rest_framework import status
from rest_framework.permissions import SAFE_METHODS

from accounts.actions import check_new_identity, do_create_user, revoke_logins
from accounts.models import TokenScope, User
from chatsite.api_errors import ApiError
from gateway.protocol import Close

SCOPES = ("read", "send", "manage")
MAX_BOTS_PER_OWNER = 20
# The REST routes (Django URL patterns, after /api/v1/) whose writes are `send`; others are `manage`.
_SEND_ROUTE_ENDINGS = ("/messages", "/messages/<uuid:message_id>", "/reactions/<str:emoji>", "/read")


def needed_scope(method: str, route: str) -> str:
    if method in SAFE_METHODS:
        return "read"
    if route.endswith(_SEND_ROUTE_ENDINGS):
        return "send"
    return "manage"


def scopes_of(token: AuthToken) -> frozenset[str] | None:
    """The token's scopes, or None for a person's token (no limit beyond its user's rights)."""
    try:
        return token.scope.scope_set
    except TokenScope.DoesNotExist:
        return None


def check_token_scope(request) -> None:
    """Refuse a scoped token a request outside its scopes (403 `insufficient_scope`)."""
    if not isinstance(request.auth, AuthToken):
        return
    scopes = scopes_of(request.auth)
    if scopes is None:
        return
    match = request.resolver_match
    needed = needed_scope(request.method, match.route if match else "")
    if needed not in scopes:
        raise ApiError("insufficient_scope", f"This token lacks the {needed!r} scope.", status.HTTP_403_FORBIDDEN)


def allows_socket(token: AuthToken) -> bool:
    """A socket both reads and sends, so a scoped token opens one only with both scopes."""
    scopes = scopes_of(token)
    return scopes is None or {"read", "send"} <= scopes


# --- bots ---


def owned_bot(owner, bot_id) -> User:
    """The owner's bot, or 404 (another's bot and a person look the same: not found)."""
    bot = User.objects.filter(pk=bot_id, is_bot=True, bot_owner=owner).first()
    if bot is None:
        raise ApiError("not_found", "No such bot.", status.HTTP_404_NOT_FOUND)
    return bot


def bots_of(owner) -> list[User]:
    return list(User.objects.filter(is_bot=True, bot_owner=owner).order_by("id"))


def check_create_bot(owner, username: str, display_name: str = "") -> None:
    if owner.is_bot:
        raise ApiError("forbidden", "A bot can't own bots.", status.HTTP_403_FORBIDDEN)
    if User.objects.filter(is_bot=True, bot_owner=owner).count() >= MAX_BOTS_PER_OWNER:
        raise ApiError(
            "too_many_bots", f"One person may own at most {MAX_BOTS_PER_OWNER} bots.", status.HTTP_409_CONFLICT
        )
    check_new_identity(username, display_name=display_name)


def do_create_bot(owner, username: str, display_name: str = "") -> User:
    with transaction.atomic():
        check_create_bot(owner, username, display_name)
        bot = User(username=username, display_name=display_name, is_bot=True, bot_owner=owner)
        bot.set_unusable_password()
        return do_create_user(bot, actor=owner)


def check_issue_token(owner, bot_id, scopes) -> User:
    bot = owned_bot(owner, bot_id)
    if not scopes or not set(scopes) <= set(SCOPES):
        raise ApiError("invalid", "Scopes are some of read, send, manage.", fields={"scopes": [", ".join(SCOPES)]})
    if not bot.is_active:
        raise ApiError("account_disabled", "This bot is disabled.", status.HTTP_409_CONFLICT)
    return bot


def do_issue_token(owner, bot_id, scopes, *, label: str = "") -> tuple[AuthToken, str]:
    """A token for the bot, shown this once. Bot tokens don't expire; the owner revokes them."""
    with transaction.atomic():
        bot = check_issue_token(owner, bot_id, scopes)
        instance, token = AuthToken.objects.create(user=bot, expiry=None)
        TokenScope.objects.create(token=instance, scopes=",".join(s for s in SCOPES if s in scopes), label=label)
    return instance, token


def do_revoke_tokens(owner, bot_id) -> int:
    """End every token of the bot (and close its sockets)."""
    with transaction.atomic():
        bot = owned_bot(owner, bot_id)
        count = AuthToken.objects.filter(user=bot).count()
        revoke_logins(bot, Close.UNAUTHENTICATED)
    return count
