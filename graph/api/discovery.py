"""People you may know, and degrees of separation: the reads that go through the graph adapter."""

import logging
from contextlib import contextmanager

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.selectors import is_blocked, user_or_404, visible_profile
from chatsite.api_errors import ApiError
from chatsite.strict import parse
from graph import actions, selectors
from graph.api.common import BAD_QUERY, SIGNED_IN, error
from graph.api.serializers import PathSerializer, SuggestionListSerializer, SuggestionSerializer, SuggestionsQuery
from graph.backends import GraphUnavailable
from graph.backends.base import MAX_HOPS

log = logging.getLogger(__name__)

GRAPH_DOWN = {503: error("The graph store is unreachable (`graph_unavailable`); retry later.")}


@contextmanager
def _graph_errors():
    try:
        yield
    except GraphUnavailable:
        log.exception("graph store unreachable")
        message = "The social graph is unavailable; try again shortly."
        raise ApiError("graph_unavailable", message, status.HTTP_503_SERVICE_UNAVAILABLE) from None


class SuggestionsView(APIView):
    @extend_schema(
        operation_id="graph_suggestions",
        parameters=[OpenApiParameter("limit", int, description="1 to 50, default 10.")],
        responses={200: SuggestionListSerializer, **BAD_QUERY, **SIGNED_IN, **GRAPH_DOWN},
        summary="People you may know: friends of friends, by mutual friends and shared conversations",
    )
    def get(self, request):
        query = parse(SuggestionsQuery, request.query_params)
        with _graph_errors():
            results = selectors.suggestions(request.user.pk, limit=query["limit"])
        return Response({"results": SuggestionSerializer(results, many=True).data})


class DismissSuggestionView(APIView):
    @extend_schema(
        operation_id="graph_suggestion_dismiss",
        request=None,
        responses={
            204: None,
            400: error("That is you (`cannot_dismiss_self`)."),
            **SIGNED_IN,
            404: error("No such user (`not_found`)."),
        },
        summary="Never suggest this user to me again (204, also when already dismissed)",
    )
    def post(self, request, user_id):
        # As for profiles: an inactive user, or one who blocked you, is not there to dismiss.
        target = visible_profile(request.user.pk, user_id)
        actions.check_dismiss_suggestion(request.user, target)
        actions.do_dismiss_suggestion(request.user, target)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PathView(APIView):
    @extend_schema(
        operation_id="graph_path",
        responses={
            200: PathSerializer,
            **SIGNED_IN,
            404: error(f"No such user (`not_found`), or no chain of at most {MAX_HOPS} friendships (`no_path`)."),
            **GRAPH_DOWN,
        },
        summary=f"Degrees of separation: a shortest chain of friendships to a user, up to {MAX_HOPS}",
    )
    def get(self, request, user_id):
        target = user_or_404(user_id)
        # Like search, the graph doesn't show you someone who blocked you.
        if is_blocked(target.pk, request.user.pk):
            raise ApiError("not_found", "No such user.", status.HTTP_404_NOT_FOUND)
        with _graph_errors():
            users = selectors.path(request.user.pk, target.pk)
        if users is None:
            message = f"You and {target.username} are more than {MAX_HOPS} friendships apart."
            raise ApiError("no_path", message, status.HTTP_404_NOT_FOUND)
        return Response(PathSerializer({"degrees": len(users) - 1, "path": users}).data)
