from django.contrib import admin

from accounts.models import Block
from chatsite.admin_views import ReadOnlyAdmin
from graph.models import Follow, FriendRequest, Friendship


class EdgeAdmin(ReadOnlyAdmin):
    """The graph's edges: each is its owner's choice, made and undone through graph.actions."""

    date_hierarchy = "created_at"
    ordering = ("-created_at",)


@admin.register(Block)
class BlockAdmin(EdgeAdmin):
    list_display = ("blocker", "blocked", "created_at")
    list_select_related = ("blocker", "blocked")
    search_fields = ("blocker__username", "blocked__username")


@admin.register(Follow)
class FollowAdmin(EdgeAdmin):
    list_display = ("follower", "followee", "created_at")
    list_select_related = ("follower", "followee")
    search_fields = ("follower__username", "followee__username")


@admin.register(FriendRequest)
class FriendRequestAdmin(EdgeAdmin):
    list_display = ("from_user", "to_user", "created_at")
    list_select_related = ("from_user", "to_user")
    search_fields = ("from_user__username", "to_user__username")


@admin.register(Friendship)
class FriendshipAdmin(EdgeAdmin):
    # Each friendship has a row per direction; searching by user finds it from either side.
    list_display = ("user", "friend", "created_at")
    list_select_related = ("user", "friend")
    search_fields = ("user__username",)
