from django.contrib import admin

from graph.models import Block


@admin.register(Block)
class BlockAdmin(admin.ModelAdmin):
    """Read-only: a block is its owner's choice, made and undone through graph.actions."""

    list_display = ("blocker", "blocked", "created_at")
    list_select_related = ("blocker", "blocked")
    search_fields = ("blocker__username", "blocked__username")
    date_hierarchy = "created_at"
    ordering = ("-created_at",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
