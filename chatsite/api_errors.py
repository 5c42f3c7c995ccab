"""One error shape for the whole API: {"error": {"code", "message", "fields"}}."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, JsonResponse
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


class ApiError(exceptions.APIException):
    """Raised by actions and views with an explicit code, message and status."""

    def __init__(self, code, message, status_code=status.HTTP_400_BAD_REQUEST, fields=None, headers=None):
        self.status_code = status_code
        self.code = code
        self.message = message
        self.fields = fields or {}
        self.headers = headers or {}
        super().__init__(detail=message, code=code)


class ErrorBodySerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable, machine-readable, e.g. invalid, not_found, rate_limited.")
    message = serializers.CharField(help_text="For people.")
    fields = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))


class ErrorSerializer(serializers.Serializer):
    """The shape of every API error, for the OpenAPI schema."""

    error = ErrorBodySerializer()


ERROR_MEANINGS = {
    400: "The input is not valid; `error.fields` says which fields and why.",
    401: "Not signed in, or the token is not valid.",
    403: "Not allowed: not a member, not an admin or owner, or blocked.",
    404: "Not found, or not visible to you (existence is never revealed).",
    409: "Conflicts with the current state (archived, already a member, deleted...).",
    413: "Too large: a file over the size limit, a quota, or an image with too many pixels.",
    415: "The body is not JSON, or (uploads) the file's type is not accepted.",
    422: "Refused by the moderation models (spam_suspected, abuse_suspected) or by a moderator (held_rejected).",
    429: "Too many requests; Retry-After says when to try again.",
}


def error_responses(*codes):
    """The error responses an endpoint documents in /api/schema/, all in the one error shape."""
    from drf_spectacular.utils import OpenApiResponse

    return {code: OpenApiResponse(ErrorSerializer, description=ERROR_MEANINGS[code]) for code in codes}


def error_body(code, message, fields=None):
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def _flatten(detail):
    """DRF validation detail as {field: [messages]} with plain strings."""
    if isinstance(detail, dict):
        return {key: _messages(value) for key, value in detail.items()}
    return {"non_field_errors": _messages(detail)}


def _messages(value):
    if isinstance(value, list):
        out = []
        for item in value:
            out.extend(_messages(item) if isinstance(item, (list, dict)) else [str(item)])
        return out
    if isinstance(value, dict):
        return [f"{k}: {m}" for k, v in value.items() for m in _messages(v)]
    return [str(value)]


def exception_handler(exc, context):
    if isinstance(exc, ApiError):
        response = Response(error_body(exc.code, exc.message, exc.fields), status=exc.status_code)
        for name, value in exc.headers.items():
            response[name] = value
        return response
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # a real bug: let Django log it and answer 500
    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail)
        response.data = error_body("invalid", "The request is not valid.", fields)
    else:
        code = exc.get_codes() if isinstance(exc.get_codes(), str) else "error"
        response.data = error_body(code, str(exc.detail))
    return response


def json_error_view(code, message, status_code):
    def view(request, exception=None):
        return JsonResponse(error_body(code, message), status=status_code)

    return view
