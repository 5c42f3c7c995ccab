"""A request id on every request and every log line, so one request can be followed across logs."""

import logging
import re
import uuid
from contextvars import ContextVar

from django.utils.functional import SimpleLazyObject, empty

HEADER = "X-Request-ID"
# Accept the caller's id only if it is short and plain, so it can't inject into log lines.
_VALID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

request_id_var: ContextVar[str] = ContextVar("request_id", default="-")
request_var: ContextVar = ContextVar("request", default=None)


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        given = request.headers.get(HEADER, "")
        rid = given if _VALID.match(given) else uuid.uuid4().hex
        request.request_id = rid
        tokens = request_id_var.set(rid), request_var.set(request)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(tokens[0])
            request_var.reset(tokens[1])
        response[HEADER] = rid
        return response


class LogContextFilter(logging.Filter):
    """Adds request_id and user_id to every record."""

    def filter(self, record):
        # django.request logs a 4xx or 5xx after the middleware has returned, when the context is
        # already reset; that record carries the request itself.
        request = request_var.get()
        if request is None:
            request = getattr(record, "request", None)
        record.request_id = request_id_var.get()
        if record.request_id == "-":
            record.request_id = getattr(request, "request_id", "-")
        record.user_id = _known_user_id(request)
        return True


def _known_user_id(request):
    # Only a user that authentication already resolved: logging must never cause a query.
    user = getattr(request, "__dict__", {}).get("user") if request is not None else None
    if isinstance(user, SimpleLazyObject):
        user = None if user._wrapped is empty else user._wrapped
    return getattr(user, "pk", None) or "-"
