"""Uploads and the retention runs, for operators: what is stored, what is due to go, what went."""

from django.contrib import admin
from django.utils import timezone

from files import actions
from files.models import PurgeRun, Upload


class RetentionFilter(admin.SimpleListFilter):
    title = "retention"
    parameter_name = "retention"

    def lookups(self, request, model_admin):
        return [
            ("unattached_due", "unsent, due for purge"),
            ("deleted_due", "message deleted, due for purge"),
            ("deleted_waiting", "message deleted, within retention"),
        ]

    def queryset(self, request, queryset):
        if self.value() == "unattached_due":
            return queryset.filter(message_id__isnull=True, created_at__lt=actions.unattached_cutoff())
        if self.value() == "deleted_due":
            return queryset.filter(released_at__lt=actions.released_cutoff())
        if self.value() == "deleted_waiting":
            return queryset.filter(released_at__gte=actions.released_cutoff())
        return queryset


@admin.register(Upload)
class UploadAdmin(admin.ModelAdmin):
    list_display = ["name", "owner", "kind", "content_type", "size", "status", "created_at", "sent", "purge_after"]
    list_filter = [RetentionFilter, "kind", "status"]
    search_fields = ["name", "owner__username", "=id", "=message_id"]
    list_select_related = ["owner"]
    # Rows mirror stored bytes: changing them here would make them lie about the object store.
    readonly_fields = [f.name for f in Upload._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(boolean=True)
    def sent(self, upload):
        return upload.message_id is not None

    @admin.display(description="purged after")
    def purge_after(self, upload):
        if upload.released_at:
            return upload.released_at + (timezone.now() - actions.released_cutoff())
        if upload.message_id is None:
            return upload.created_at + (timezone.now() - actions.unattached_cutoff())
        return "-"


@admin.register(PurgeRun)
class PurgeRunAdmin(admin.ModelAdmin):
    list_display = ["ran_at", "reason", "files", "bytes", "older_than"]
    list_filter = ["reason"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
