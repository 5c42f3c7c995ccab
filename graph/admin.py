from django.contrib import admin

from graph.models import Block, Follow, FriendRequest, Friendship


class ReadOnlyAdmin(admin.ModelAdmin):
    """For the graph's edges: each is its owner's choice, made and undone through graph.actions
    (which also keep the events and the mirror right), never edited by staff."""

    date_hierarchy = "created_at"
    ordering = ("-created_at",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Block)
class BlockAdmin(ReadOnlyAdmin):
    list_display = ("blocker", "blocked", "created_at")
    list_select_related = ("blocker", "blocked")
    search_fields = ("blocker__username", "blocked__username")


@admin.register(Follow)
class FollowAdmin(ReadOnlyAdmin):
    list_display = ("follower", "followee", "created_at")
    list_select_related = ("follower", "followee")
    search_fields = ("follower__username", "followee__username")


@admin.register(FriendRequest)
class FriendRequestAdmin(ReadOnlyAdmin):
    list_display = ("from_user", "to_user", "created_at")
    list_select_related = ("from_user", "to_user")
    search_fields = ("from_user__username", "to_user__username")


@admin.register(Friendship)
class FriendshipAdmin(ReadOnlyAdmin):
    # Each friendship has a row per direction; searching by user finds it from either side.
    list_display = ("user", "friend", "created_at")
    list_select_related = ("user", "friend")
    search_fields = ("user__username",)
