"""Notifications that should no longer be seen. A deleted message's pending ones are dropped. When
a person reads a conversation (on any device), what is pending of it is dropped, and each device
that shows one of its notifications gets a withdrawal: a push that removes the conversation's
notification (Web Push: the service worker closes the tag; FCM: a data message under the same
collapse key; APNs: a background push) and carries the new badge.
(A row being sent is checked again by delivery.why_not, which also drops read ones.)"""

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from notifications.models import Channel, Notification

WAITING = (Channel.PUSH, Channel.SMS)  # the digest checks what was read when it is written


def message_deleted(payload):
    Notification.objects.filter(message_id=payload["message_id"], status=Notification.Status.PENDING).update(
        status=Notification.Status.SKIPPED
    )


def withdrawal_key(conversation_id, seq, device_id):
    # One per read marker and device: the event handled twice withdraws nothing twice.
    return f"withdraw:{conversation_id}:{seq}:{device_id}"


def conversation_read(envelope):
    """Plan the withdrawals of what the person read -> the new rows' ids (sent after commit)."""
    payload = envelope["payload"]
    user_id, conversation_id, seq = int(payload["user_id"]), payload["conversation_id"], int(payload["seq"])
    now = timezone.now()
    read = Notification.objects.filter(user_id=user_id, conversation_id=conversation_id, seq__lte=seq).exclude(
        reason=Notification.WITHDRAWAL
    )
    with transaction.atomic():
        read.filter(status=Notification.Status.PENDING, channel__in=WAITING).update(status=Notification.Status.SKIPPED)
        shown = list(
            read.select_for_update()
            .filter(status=Notification.Status.SENT, channel=Channel.PUSH, device__isnull=False)
            .order_by("seq")
            .values_list("pk", "device_id", "message_id")
        )
        if not shown:
            return []
        Notification.objects.filter(pk__in=[pk for pk, _, _ in shown]).update(status=Notification.Status.WITHDRAWN)
        newest = {device_id: message_id for _, device_id, message_id in shown}  # ordered by seq: the last wins
        occurred = parse_datetime(envelope.get("occurred_at") or "") or now
        rows = [
            Notification(
                key=withdrawal_key(conversation_id, seq, device_id),
                user_id=user_id,
                channel=Channel.PUSH,
                device_id=device_id,
                conversation_id=conversation_id,
                message_id=message_id,
                seq=seq,
                sender_id=user_id,
                reason=Notification.WITHDRAWAL,
                title="",
                occurred_at=occurred,
                due_at=now,
            )
            for device_id, message_id in newest.items()
        ]
        Notification.objects.bulk_create(rows, ignore_conflicts=True)
        ids = list(
            Notification.objects.filter(key__in=[r.key for r in rows], status=Notification.Status.PENDING).values_list(
                "pk", flat=True
            )
        )
        transaction.on_commit(lambda: send(ids), robust=True)
    return ids


def send(ids):
    from notifications import tasks

    for pk in ids:
        tasks.deliver.delay(pk)
