"""Rate limits on signing in and signing up, on the cache-backed counter that limits sends.

- Failed logins per account, from any address: guessing one person's password. Only failures
  count, so someone who signs in on many devices is never held back.
- Login attempts per client address, for any account: trying one password on many accounts.
- Registrations per client address.

A refusal is 429 `rate_limited` with Retry-After, as the send limit answers. Once the window
passes the right password works again; nothing stays locked.
"""

import hashlib

from django.conf import settings
from rest_framework import status
from rest_framework.throttling import BaseThrottle

from chatsite import ratelimit
from chatsite.api_errors import ApiError


def client_address(request) -> str:
    """The client's address: the peer, or with NUM_PROXIES set, the one the outermost trusted
    proxy saw (DRF's rule, so throttles of every kind agree)."""
    drf_request = getattr(request, "_request", request)
    return BaseThrottle().get_ident(drf_request) or "unknown"


def _refuse(retry_after: int, what: str):
    return ApiError(
        "rate_limited",
        f"Too many {what}; try again in {retry_after} s.",
        status.HTTP_429_TOO_MANY_REQUESTS,
        headers={"Retry-After": str(retry_after)},
    )


def _account_key(username: str) -> str:
    # Usernames sign in ignoring case, so "Alice" and "alice" share one counter; hashed, so that any
    # string a client sends makes a plain cache key.
    return "login-fail:" + hashlib.sha256(username.casefold().encode()).hexdigest()[:32]


def _lock_key(key: str) -> str:
    return f"{key}:until"


def check_login_allowed(request, username: str) -> None:
    """Before the password is checked: count this attempt for the address, and refuse while the
    account has too many recent failures."""
    retry_after = ratelimit.held_for(_lock_key(_account_key(username)))
    if retry_after:
        raise _refuse(retry_after, "failed sign-ins to this account")
    retry_after = ratelimit.hit(f"login-addr:{client_address(request)}", settings.LOGIN_RATE_LIMIT_PER_ADDRESS)
    if retry_after:
        raise _refuse(retry_after, "sign-in attempts")


def note_failed_login(username: str) -> None:
    """After a wrong password (or an unknown username): count it against the account; at the
    limit, refuse that account until the window ends."""
    key = _account_key(username)
    retry_after = ratelimit.hit(key, settings.LOGIN_RATE_LIMIT_PER_ACCOUNT)
    if retry_after:
        ratelimit.hold(_lock_key(key), retry_after)


def check_register_allowed(request) -> None:
    retry_after = ratelimit.hit(f"register-addr:{client_address(request)}", settings.REGISTER_RATE_LIMIT_PER_ADDRESS)
    if retry_after:
        raise _refuse(retry_after, "registrations from this address")
