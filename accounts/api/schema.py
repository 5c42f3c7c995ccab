"""How the accounts and graph endpoints document their errors in /api/schema/."""

from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

ERROR_MEANINGS = {
    400: "The input is not valid; `error.fields` says which fields and why.",
    401: "Not signed in, or the token is not valid.",
    404: "No such user.",
    415: "The body is not JSON.",
}


class ApiErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    fields = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))


class ApiErrorSerializer(serializers.Serializer):
    """The one error shape of the API (chatsite.api_errors)."""

    error = ApiErrorDetailSerializer()


def error_responses(*codes):
    """The error responses an endpoint documents, all in the one error shape."""
    return {code: OpenApiResponse(ApiErrorSerializer, description=ERROR_MEANINGS[code]) for code in codes}
