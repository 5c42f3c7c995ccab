from django.urls import path

from graph.api import connections, discovery, views

urlpatterns = [
    path("blocks", views.BlockListView.as_view(), name="blocks-list"),
    path("blocks/<id:user_id>", views.BlockView.as_view(), name="blocks-detail"),
    path("graph/following", connections.FollowingListView.as_view(), name="graph-following"),
    path("graph/following/<id:user_id>", connections.FollowView.as_view(), name="graph-follow"),
    path("graph/followers", connections.FollowerListView.as_view(), name="graph-followers"),
    path("graph/friends", connections.FriendListView.as_view(), name="graph-friends"),
    path("graph/friends/<id:user_id>", connections.FriendView.as_view(), name="graph-friend"),
    path(
        "graph/friend-requests/incoming", connections.IncomingRequestListView.as_view(), name="graph-requests-incoming"
    ),
    path(
        "graph/friend-requests/incoming/<id:user_id>/accept",
        connections.AcceptRequestView.as_view(),
        name="graph-request-accept",
    ),
    path(
        "graph/friend-requests/incoming/<id:user_id>/decline",
        connections.DeclineRequestView.as_view(),
        name="graph-request-decline",
    ),
    path(
        "graph/friend-requests/outgoing", connections.OutgoingRequestListView.as_view(), name="graph-requests-outgoing"
    ),
    path(
        "graph/friend-requests/outgoing/<id:user_id>", connections.OutgoingRequestView.as_view(), name="graph-request"
    ),
    path("graph/suggestions", discovery.SuggestionsView.as_view(), name="graph-suggestions"),
    path(
        "graph/suggestions/<id:user_id>/dismiss",
        discovery.DismissSuggestionView.as_view(),
        name="graph-suggestion-dismiss",
    ),
    path("graph/path/<id:user_id>", discovery.PathView.as_view(), name="graph-path"),
]
