"""Notifications that should no longer go out: a deleted message's pending ones are dropped.
(A row being sent is checked again by delivery.why_not, which also drops read ones.)"""

from notifications.models import Notification


def message_deleted(payload):
    Notification.objects.filter(message_id=payload["message_id"], status=Notification.Status.PENDING).update(
        status=Notification.Status.SKIPPED
    )
