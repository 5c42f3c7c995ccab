"""The browser client: one HTML page; everything else comes from the public REST and WebSocket APIs."""

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_safe

from gateway.protocol import SUBPROTOCOL, Close


def client_config():
    """What the page's scripts read at start: the socket's close codes by name, so that a code added
    to gateway.protocol.Close (e.g. a suspension) reaches the client without a second list in JS."""
    codes = {name.lower(): value for name, value in vars(Close).items() if name.isupper() and isinstance(value, int)}
    return {
        "socket_path": "/ws/v1/",
        "subprotocol": SUBPROTOCOL,
        "close_codes": codes,
        "message_max_length": settings.MESSAGE_MAX_LENGTH,
        "typing_interval": settings.TYPING_MIN_INTERVAL,
        # the sign-in button's provider name, when OpenID Connect sign-in is on (accounts.oidc)
        "sso": settings.OIDC_PROVIDER_NAME if settings.OIDC_ENABLED else "",
    }


@require_safe
@never_cache
@ensure_csrf_cookie  # the scripts echo the csrftoken cookie on REST writes made with the session
def client(request, conversation_id=None, seq=None):
    # /c/<id> and /c/<id>/<seq> are the same page: the scripts open what the address names.
    return render(request, "web/index.html", {"config": client_config()})


@require_safe
def service_worker(request):
    """The push service worker, from the site's root so that its scope is the whole client."""
    path = finders.find("web/sw.js")
    with open(path, "rb") as source:
        response = HttpResponse(source.read(), content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "no-cache"  # a new version reaches browsers at their next check
    return response
