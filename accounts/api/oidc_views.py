"""The browser's redirects of an OpenID Connect sign-in: to the provider, and back. Plain Django
views, not API endpoints: the browser follows them, and the client page reads the outcome from
the address's fragment (which no server or log sees). The rules are in accounts.oidc."""

from urllib.parse import quote

from django.http import HttpResponseRedirect
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from accounts import oidc
from chatsite.api_errors import ApiError


def _back_to_client(fragment: str = "") -> HttpResponseRedirect:
    return HttpResponseRedirect("/" + (f"#{fragment}" if fragment else ""))


@require_safe
@never_cache
def start(request):
    if not oidc.enabled():
        return _back_to_client("sso-error=" + quote("Single sign-on is not set up here."))
    try:
        return oidc.start(request, request.build_absolute_uri(reverse("auth-oidc-callback")))
    except ApiError as error:
        return _back_to_client("sso-error=" + quote(error.message))


@require_safe
@never_cache
def callback(request):
    if not oidc.enabled():
        return _back_to_client("sso-error=" + quote("Single sign-on is not set up here."))
    try:
        challenge = oidc.do_sign_in(request, oidc.claims_of_callback(request))
    except ApiError as error:
        return _back_to_client("sso-error=" + quote(error.message))
    return _back_to_client(f"two-factor={challenge}" if challenge else "")
