"""What the graph's views share: finding the user a URL names, and documenting errors."""

from drf_spectacular.utils import OpenApiResponse

from chatsite.api_errors import ErrorSerializer


def error(description):
    return OpenApiResponse(ErrorSerializer, description=description)


BAD_QUERY = {400: error("A query parameter is not valid; `error.fields` says which.")}
SIGNED_IN = {401: error("Not signed in, or the token is not valid.")}
NO_USER = {404: error("No such user.")}
BLOCKED = {403: error("One of you blocks the other (`blocked`).")}
