from django.contrib import admin

from chats.models import Conversation, Membership, MessageReport


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ("user",)
    fields = ("user", "role", "joined_at", "last_read_seq")
    readonly_fields = ("joined_at", "last_read_seq")


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    list_display = ("__str__", "kind", "is_public", "created_at", "archived_at")
    list_filter = ("kind", "is_public")
    search_fields = ("title", "topic")
    inlines = [MembershipInline]
    readonly_fields = ("direct_key", "created_by", "created_at")


@admin.register(MessageReport)
class MessageReportAdmin(admin.ModelAdmin):
    """The moderation queue: open reports first, oldest first."""

    list_display = ("id", "status", "reason", "text_snapshot", "sender_id", "reporter", "created_at")
    list_filter = ("status",)
    search_fields = ("reason", "text_snapshot")
    ordering = ("-created_at",)
    readonly_fields = ("conversation", "message_id", "reporter", "reason", "text_snapshot", "sender_id", "created_at")
