"""Reads of notifications shared by the API and the admin."""

from notifications.models import DeliveryAttempt, PushDevice


def devices_of(user):
    return list(PushDevice.objects.filter(user=user).order_by("created_at"))


def delivery_log():
    """Every attempt, newest first, with what the admin's list shows in one query."""
    return DeliveryAttempt.objects.select_related("notification", "notification__user").order_by("-created_at")
