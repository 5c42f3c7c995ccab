"""What the graph's views share: finding the user a URL names, and documenting errors."""

from drf_spectacular.utils import OpenApiResponse
from rest_framework import status

from accounts.selectors import get_user
from chatsite.api_errors import ApiError, ErrorSerializer


def user_or_404(user_id, *, include_inactive=False):
    user = get_user(user_id, include_inactive=include_inactive)
    if user is None:
        raise ApiError("not_found", "No such user.", status.HTTP_404_NOT_FOUND)
    return user


def error(description):
    return OpenApiResponse(ErrorSerializer, description=description)


BAD_QUERY = {400: error("A query parameter is not valid; `error.fields` says which.")}
SIGNED_IN = {401: error("Not signed in, or the token is not valid.")}
NO_USER = {404: error("No such user.")}
BLOCKED = {403: error("One of you blocks the other (`blocked`).")}
