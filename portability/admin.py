"""Personal data exports, for operators: who asked, when, and whether it is still offered. The
admin sees the record only; the file is its owner's."""

from django.contrib import admin

from portability.models import DataExport


@admin.register(DataExport)
class DataExportAdmin(admin.ModelAdmin):
    list_display = ["user", "status", "progress", "size", "created_at", "expires_at"]
    list_filter = ["status"]
    search_fields = ["user__username"]
    readonly_fields = [f.name for f in DataExport._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
