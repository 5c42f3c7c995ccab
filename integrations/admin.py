from django.contrib import admin

from chatsite.admin_views import ReadOnlyAdmin
from integrations.models import Delivery, IncomingWebhook, OutgoingWebhook


@admin.register(IncomingWebhook)
class IncomingWebhookAdmin(ReadOnlyAdmin):
    list_display = ["name", "conversation", "bot", "created_by", "created_at"]
    exclude = ["secret_hash"]

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser  # ending a leaked webhook is the one change the admin makes


@admin.register(OutgoingWebhook)
class OutgoingWebhookAdmin(ReadOnlyAdmin):
    list_display = ["bot", "conversation", "url", "trigger", "created_by", "created_at"]
    list_filter = ["trigger"]

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    """The delivery log: every event sent to a bot, its tries, and the last answer or error."""

    list_display = [
        "id",
        "webhook",
        "message_id",
        "status",
        "attempts",
        "last_status_code",
        "created_at",
        "finished_at",
    ]
    list_filter = ["status"]
    search_fields = ["message_id"]
    list_select_related = ["webhook"]
