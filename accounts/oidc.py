"""Sign-in with an OpenID Connect provider: the authorization code flow with PKCE, through Authlib's
Django client, which keeps the state, the nonce and the PKCE verifier in the browser session and
checks the ID token's RS256 signature against the provider's JWKS, its issuer, audience, expiry and
nonce.

Who signs in: the account already linked to the provider's (issuer, sub); else the one account whose
e-mail the provider says it VERIFIED (`email_verified` true); else a new account. An unverified
e-mail never links to an account. Then `accounts.actions.do_login`, like every sign-in: a user with
two-factor on must still pass the second factor (the challenge comes back instead of a session).
"""

import re

from authlib.common.errors import AuthlibBaseError
from authlib.integrations.django_client import OAuth
from django.conf import settings
from django.db import transaction
from joserfc.errors import JoseError
from requests import RequestException
from rest_framework import status

from accounts import actions, two_factor
from accounts.models import USERNAME_MAX_LENGTH, USERNAME_MIN_LENGTH, OidcIdentity, User
from accounts.selectors import disabled_message
from chatsite.api_errors import ApiError

_NOT_A_USERNAME_CHARACTER = re.compile(r"[^A-Za-z0-9_.-]+")


def enabled() -> bool:
    return bool(settings.OIDC_ENABLED and settings.OIDC_ISSUER and settings.OIDC_CLIENT_ID)


def _client():
    # Built per sign-in, from the settings of the moment; the provider's metadata and keys are
    # fetched again each time, so a key rotation at the provider needs nothing here.
    oauth = OAuth()
    return oauth.register(
        "sso",
        client_id=settings.OIDC_CLIENT_ID,
        client_secret=settings.OIDC_CLIENT_SECRET,
        server_metadata_url=settings.OIDC_ISSUER.rstrip("/") + "/.well-known/openid-configuration",
        client_kwargs={"scope": settings.OIDC_SCOPES, "code_challenge_method": "S256", "timeout": 10},
    )


def _failed(detail: str) -> ApiError:
    return ApiError("sso_failed", f"Single sign-on failed: {detail}", status.HTTP_400_BAD_REQUEST)


def start(request, redirect_uri: str):
    """The redirect to the provider's authorization endpoint."""
    try:
        return _client().authorize_redirect(request, redirect_uri)
    except (AuthlibBaseError, RequestException, ValueError, KeyError) as error:
        raise _failed(f"the provider can't be reached ({type(error).__name__}).") from None


def claims_of_callback(request) -> dict:
    """The ID token's checked claims, from the provider's redirect back (state, code)."""
    if "error" in request.GET:
        raise _failed(str(request.GET.get("error_description") or request.GET["error"])[:200])
    try:
        token = _client().authorize_access_token(request)
    except (AuthlibBaseError, JoseError, RequestException, ValueError, KeyError) as error:
        raise _failed(f"the answer was not valid ({type(error).__name__}).") from None
    claims = token.get("userinfo")
    if not claims or not claims.get("sub") or not claims.get("iss"):
        raise _failed("the provider sent no ID token.")
    return dict(claims)


# --- who signs in ---


def _verified_email(claims) -> str:
    email = claims.get("email")
    return email if isinstance(email, str) and email and claims.get("email_verified") is True else ""


def _account_with_email(email: str) -> User | None:
    matches = list(User.objects.filter(email__iexact=email, is_bot=False)[:2])
    if len(matches) > 1:
        # Two accounts share the address: linking either could hand one person's account to another.
        raise ApiError("sso_ambiguous", "Several accounts have this e-mail address; ask an admin.", 409)
    return matches[0] if matches else None


def _free_username(claims) -> str:
    wanted = claims.get("preferred_username") or (claims.get("email") or "").split("@")[0] or "user"
    base = _NOT_A_USERNAME_CHARACTER.sub("-", str(wanted)).strip("-.")[: USERNAME_MAX_LENGTH - 4] or "user"
    base = base.ljust(USERNAME_MIN_LENGTH, "0")
    candidate, n = base, 1
    while User.objects.filter(username__iexact=candidate).exists():
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def _new_account(claims, email: str) -> User:
    name = claims.get("name") if isinstance(claims.get("name"), str) else ""
    user = User(username=_free_username(claims), email=User.objects.normalize_email(email), display_name=name[:64])
    user.set_unusable_password()  # signs in through the provider; a password can be set later
    return actions.do_create_user(user)


def check_account(claims) -> User:
    """The account these claims sign in to, linking or creating it as the module says."""
    issuer, subject = str(claims["iss"]), str(claims["sub"])
    link = OidcIdentity.objects.select_related("user").filter(issuer=issuer, subject=subject).first()
    if link is not None:
        user = link.user
    else:
        email = _verified_email(claims)
        user = (_account_with_email(email) if email else None) or _new_account(claims, email)
        OidcIdentity.objects.create(user=user, issuer=issuer, subject=subject)
    if not user.is_active or user.is_bot:
        raise ApiError("account_disabled", disabled_message(user), status.HTTP_403_FORBIDDEN)
    return user


def do_sign_in(request, claims) -> str:
    """Sign in the account of these claims. Returns "" when signed in, or the two-factor challenge
    when the account asks a second factor first (then nothing is signed in yet)."""
    with transaction.atomic():
        user = check_account(claims)
    if two_factor.is_enabled(user):
        return two_factor.challenge_for(user)
    user.backend = "django.contrib.auth.backends.ModelBackend"
    actions.do_login(request, user, device="browser (single sign-on)")
    return ""
