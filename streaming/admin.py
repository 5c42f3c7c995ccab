from django.contrib import admin

from chatsite.admin_views import ReadOnlyAdmin
from streaming.models import OutboxEvent


class SentFilter(admin.SimpleListFilter):
    title = "sent"
    parameter_name = "sent"

    def lookups(self, request, model_admin):
        return [("no", "Not yet"), ("yes", "Sent")]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(sent_at__isnull=self.value() == "no")
        return queryset


@admin.register(OutboxEvent)
class OutboxEventAdmin(ReadOnlyAdmin):
    """The outbox, read-only: what is waiting, what failed in-process and why."""

    list_display = ("occurred_at", "type", "key", "actor_id", "sent_at", "attempts", "last_error")
    list_filter = (SentFilter, "type")
    search_fields = ("=id", "=key")
    ordering = ("-occurred_at",)
    show_full_result_count = False  # the table is large; counting it on every page is not free
