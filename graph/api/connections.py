"""Follows, friend requests and friends: thin views over graph.actions and graph.selectors."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.selectors import user_or_404
from chatsite.strict import parse
from graph import actions, selectors
from graph.api.common import BAD_QUERY, BLOCKED, NO_USER, SIGNED_IN, error
from graph.api.serializers import ConnectionPageSerializer, ConnectionSerializer, FriendRequestOutSerializer, PageQuery
from graph.models import Friendship

PAGE_PARAMS = [
    OpenApiParameter("limit", int, description="1 to 200, default 50."),
    OpenApiParameter("cursor", int, description="`next_cursor` of the previous page."),
]


def _list_view(selector, operation_id, summary):
    """A GET of one of my lists, newest first, a page at a time."""

    class ListView(APIView):
        @extend_schema(
            operation_id=operation_id,
            summary=summary,
            parameters=PAGE_PARAMS,
            responses={200: ConnectionPageSerializer, **BAD_QUERY, **SIGNED_IN},
        )
        def get(self, request):
            query = parse(PageQuery, request.query_params)
            page = selector(request.user.pk, limit=query["limit"], cursor=query.get("cursor"))
            results = [{"user": user, "since": since} for user, since in page.items]
            return Response({"results": ConnectionSerializer(results, many=True).data, "next_cursor": page.next_cursor})

    ListView.__name__ = ListView.__qualname__ = f"{operation_id.title().replace('_', '')}View"
    return ListView


FollowingListView = _list_view(selectors.following, "graph_following_list", "Whom I follow, newest first")
FollowerListView = _list_view(selectors.followers, "graph_followers_list", "Who follows me, newest first")
FriendListView = _list_view(selectors.friends, "graph_friends_list", "My friends, newest friendship first")
IncomingRequestListView = _list_view(
    selectors.incoming_requests, "graph_requests_incoming_list", "Friend requests sent to me, newest first"
)
OutgoingRequestListView = _list_view(
    selectors.outgoing_requests, "graph_requests_outgoing_list", "Friend requests I sent, still pending, newest first"
)


def _connection(user, since):
    return ConnectionSerializer({"user": user, "since": since}).data


def _created_or_ok(created):
    return status.HTTP_201_CREATED if created else status.HTTP_200_OK


# Only active users can be followed or asked; undoing works on anyone, so that a suspension never
# traps an edge.


class FollowView(APIView):
    @extend_schema(
        operation_id="graph_follow",
        request=None,
        responses={
            201: ConnectionSerializer,
            200: ConnectionSerializer,
            400: error("You can't follow yourself (`cannot_follow_self`)."),
            **SIGNED_IN,
            **BLOCKED,
            **NO_USER,
        },
        summary="Follow a user (201 when new, 200 when already following)",
    )
    def put(self, request, user_id):
        target = user_or_404(user_id)
        follow, created = actions.do_follow(request.user, target)
        return Response(_connection(target, follow.created_at), status=_created_or_ok(created))

    @extend_schema(
        operation_id="graph_unfollow",
        responses={204: None, **SIGNED_IN, **NO_USER},
        summary="Stop following a user (204 whether or not you followed them)",
    )
    def delete(self, request, user_id):
        actions.do_unfollow(request.user, user_or_404(user_id, include_inactive=True))
        return Response(status=status.HTTP_204_NO_CONTENT)


class FriendView(APIView):
    @extend_schema(
        operation_id="graph_unfriend",
        responses={204: None, **SIGNED_IN, **NO_USER},
        summary="End a friendship (204 whether or not you were friends); follows stay",
    )
    def delete(self, request, user_id):
        actions.do_unfriend(request.user, user_or_404(user_id, include_inactive=True))
        return Response(status=status.HTTP_204_NO_CONTENT)


class OutgoingRequestView(APIView):
    @extend_schema(
        operation_id="graph_request_send",
        request=None,
        responses={
            201: FriendRequestOutSerializer,
            200: FriendRequestOutSerializer,
            400: error("You can't ask yourself (`cannot_friend_self`)."),
            409: error("You are already friends (`already_friends`)."),
            **SIGNED_IN,
            **BLOCKED,
            **NO_USER,
        },
        summary="Ask a user to be friends (201 when new, 200 when already asked); "
        "if they had asked you, you become friends",
    )
    def put(self, request, user_id):
        target = user_or_404(user_id)
        row, created = actions.do_send_friend_request(request.user, target)
        answer = "friends" if isinstance(row, Friendship) else "pending"
        body = {"user": target, "status": answer, "since": row.created_at}
        return Response(FriendRequestOutSerializer(body).data, status=_created_or_ok(created))

    @extend_schema(
        operation_id="graph_request_cancel",
        responses={204: None, **SIGNED_IN, **NO_USER},
        summary="Withdraw a friend request you sent (204 whether or not there was one)",
    )
    def delete(self, request, user_id):
        actions.do_cancel_friend_request(request.user, user_or_404(user_id, include_inactive=True))
        return Response(status=status.HTTP_204_NO_CONTENT)


class AcceptRequestView(APIView):
    @extend_schema(
        operation_id="graph_request_accept",
        request=None,
        responses={
            200: ConnectionSerializer,
            **SIGNED_IN,
            404: error("No such user (`not_found`), or no request from them (`no_request`)."),
        },
        summary="Accept a friend request (200 also when you are already friends)",
    )
    def post(self, request, user_id):
        sender = user_or_404(user_id, include_inactive=True)
        friendship, _ = actions.do_accept_friend_request(request.user, sender)
        return Response(_connection(sender, friendship.created_at))


class DeclineRequestView(APIView):
    @extend_schema(
        operation_id="graph_request_decline",
        request=None,
        responses={204: None, **SIGNED_IN, **NO_USER},
        summary="Decline a friend request (204 whether or not there was one); the sender is not told",
    )
    def post(self, request, user_id):
        actions.do_decline_friend_request(request.user, user_or_404(user_id, include_inactive=True))
        return Response(status=status.HTTP_204_NO_CONTENT)
