"""The delivery log (every attempt, filterable by channel, outcome, device kind and day) and the
planned notifications, read-only: rows are written by the planner and the delivery task."""

from django.contrib import admin

from chatsite.admin_views import ReadOnlyAdmin
from notifications.models import DeliveryAttempt, Notification, PushDevice


@admin.register(DeliveryAttempt)
class DeliveryAttemptAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "channel", "device_kind", "outcome", "status_code", "latency_ms", "user", "error")
    list_filter = ("channel", "outcome", "device_kind", "status_code")
    list_select_related = ("notification__user",)
    search_fields = ("=notification__message_id", "notification__user__username", "error")
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in DeliveryAttempt._meta.fields]

    @admin.display(description="user")
    def user(self, attempt):
        return attempt.notification.user


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "user", "channel", "reason", "status", "conversation_id", "seq", "sent_at")
    list_filter = ("channel", "status", "reason")
    list_select_related = ("user",)
    search_fields = ("=message_id", "=conversation_id", "user__username")
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in Notification._meta.fields]


@admin.register(PushDevice)
class PushDeviceAdmin(ReadOnlyAdmin):
    list_display = ("user", "kind", "app_id", "locale", "created_at", "last_success_at")
    list_filter = ("kind",)
    list_select_related = ("user",)
    search_fields = ("user__username",)
    exclude = ("p256dh", "auth", "token")
