from django.contrib import admin

from chats.models import RetentionPolicy, RetentionRun
from chatsite.admin_views import ReadOnlyAdmin


@admin.register(RetentionPolicy)
class RetentionPolicyAdmin(admin.ModelAdmin):
    """Policies are set here; the daily job (Periodic tasks: "apply retention") applies them."""

    list_display = ["__str__", "kind", "conversation", "days", "created_at"]
    raw_id_fields = ["conversation"]


@admin.register(RetentionRun)
class RetentionRunAdmin(ReadOnlyAdmin):
    """The audit: every run of every policy and what it deleted."""

    list_display = ["policy_text", "cutoff", "deleted", "conversations", "started_at", "finished_at"]
