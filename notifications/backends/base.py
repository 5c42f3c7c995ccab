"""What every adapter answers, and how an HTTP service's answer maps to it."""

import email.utils
import ssl
import time
from dataclasses import dataclass

from django.conf import settings

OK, RETRY, GONE, ERROR = "ok", "retry", "gone", "error"


@dataclass
class Outcome:
    result: str  # ok, retry (429, 5xx, network), gone (the destination no longer exists), error
    status_code: int | None = None
    error: str = ""
    retry_after: float | None = None  # seconds, from the service's Retry-After


def retry_after_seconds(value):
    """Retry-After as seconds: delta-seconds or an HTTP date; None if absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - time.time(), 0.0)


def from_http(response, *, gone_statuses=(404, 410), gone=False):
    """The outcome of an HTTP answer. `gone` lets an adapter say so from the body (APNs, FCM)."""
    code = response.status_code
    if 200 <= code < 300:
        return Outcome(OK, code)
    detail = response.text[:500]
    if gone or code in gone_statuses:
        return Outcome(GONE, code, detail)
    if code == 429 or code >= 500:
        return Outcome(RETRY, code, detail, retry_after_seconds(response.headers.get("retry-after")))
    return Outcome(ERROR, code, detail)


def network_failure(exc):
    return Outcome(RETRY, None, f"{type(exc).__name__}: {exc}"[:500])


def http_client(**kwargs):
    import httpx

    # Never follow redirects: the address was checked, where it would send us was not.
    # NOTIFY_CA_BUNDLE adds a certificate authority (a test's or a private push server's).
    verify = ssl.create_default_context()
    if settings.NOTIFY_CA_BUNDLE:
        verify.load_verify_locations(cafile=settings.NOTIFY_CA_BUNDLE)
    return httpx.Client(timeout=settings.NOTIFY_HTTP_TIMEOUT, follow_redirects=False, verify=verify, **kwargs)


_client = None


def reset_clients():
    """Forget the pooled client (the settings it was made from changed: tests)."""
    global _client
    if _client is not None:
        _client.close()
    _client = None


def shared_client():
    """One pooled client per process (thread-safe): connections to a push service are reused."""
    global _client
    if _client is None:
        _client = http_client()
    return _client
