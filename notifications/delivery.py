"""Sending one planned notification, once: claim it, check it is still wanted (not read, not
deleted, nobody looking), send it through its adapter, and record the attempt."""

import logging
import time
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from chats import selectors as chat_selectors
from chatsite.api_errors import ApiError
from gateway import presence
from notifications import actions
from notifications.backends import adapter_for
from notifications.backends.base import GONE, OK, RETRY, Outcome
from notifications.models import Channel, DeliveryAttempt, Notification, PushDevice
from streaming.events import emit

log = logging.getLogger(__name__)

# A claim older than this belongs to a worker that died: the task run again may take it over.
STALE_CLAIM = timedelta(minutes=5)

SENT, SKIPPED, NOT_DUE, NOT_MINE, FAILED = "sent", "skipped", "not_due", "not_mine", "failed"


@dataclass
class Retry(Exception):
    after: float | None


def claim(pk, now):
    """Take the notification for this run; False if it is done, or another run holds it."""
    return bool(
        Notification.objects.filter(pk=pk, due_at__lte=now)
        .filter(
            Q(status=Notification.Status.PENDING)
            | Q(status=Notification.Status.SENDING, claimed_at__lt=now - STALE_CLAIM)
        )
        .update(status=Notification.Status.SENDING, claimed_at=now)
    )


def why_not(notification):
    """A reason to drop the notification now, or None to send it."""
    if notification.reason == Notification.WITHDRAWAL:
        return None  # it goes whatever the person does now: it only takes something away
    user = notification.user
    try:
        _, membership, message = chat_selectors.message_in(user, notification.conversation_id, notification.message_id)
    except ApiError:  # left the conversation, blocked the sender since, or the message is gone
        return "not visible"
    if membership is None:
        return "not a member"
    if message.is_deleted:
        return "deleted"
    if membership.last_read_seq >= notification.seq:
        return "read"
    if notification.channel == Channel.SMS and texts_today(user) >= settings.NOTIFY_SMS_DAILY_LIMIT:
        return "daily SMS limit"
    seen = presence.conversation_seen_at(user.pk, notification.conversation_id)
    if seen is not None:
        if notification.channel == Channel.PUSH:
            if seen > time.time() - settings.NOTIFY_LOOKING_SECONDS:
                return "looking"
        elif seen >= notification.occurred_at.timestamp():
            return "seen since"
    return None


def texts_today(user):
    """SMS notifications the person got in the last 24 hours (each costs money and wakes them)."""
    since = timezone.now() - timedelta(days=1)
    return Notification.objects.filter(user=user, channel=Channel.SMS, status="sent", sent_at__gte=since).count()


def payload_of(notification):
    """What a push carries: enough to show it and to open the conversation on a click, or for a
    withdrawal, the tag to remove; both with the person's unread count as the badge."""
    common = {
        "conversation_id": str(notification.conversation_id),
        "seq": notification.seq,
        "tag": f"conversation-{notification.conversation_id}",
        "badge": chat_selectors.unread_total(notification.user_id),
    }
    if notification.reason == Notification.WITHDRAWAL:
        return {"type": "withdraw", **common}
    return {
        "type": "message",
        "title": notification.title,
        "body": notification.body,
        "message_id": str(notification.message_id),
        "url": f"/c/{notification.conversation_id}",
        **common,
    }


def record(notification, outcome, started):
    with transaction.atomic():
        attempt = DeliveryAttempt.objects.create(
            notification=notification,
            channel=notification.channel,
            device_kind=notification.device.kind if notification.device_id else notification.channel,
            outcome=outcome.result,
            status_code=outcome.status_code,
            latency_ms=max(int((time.monotonic() - started) * 1000), 0),
            error=outcome.error,
        )
        # For analytics' deliveries and failures; the attempt row stays the operators' detail.
        emit(
            "notification.delivered" if outcome.result == OK else "notification.failed",
            key=notification.user_id,
            payload={
                "notification_id": notification.pk,
                "user_id": notification.user_id,
                "channel": attempt.channel,
                "device_kind": attempt.device_kind,
                "outcome": attempt.outcome,
                "status_code": attempt.status_code,
            },
        )
    return attempt


def retry_delay(outcome, tries):
    """Seconds before the next try: the service's Retry-After, else a doubling backoff."""
    if outcome.retry_after is not None:
        return outcome.retry_after
    return settings.NOTIFY_RETRY_BACKOFF * 2 ** max(tries - 1, 0)


def deliver(pk):
    """Send notification `pk` -> SENT, SKIPPED, NOT_DUE, NOT_MINE or FAILED. Raises Retry(seconds)
    when the service asked to try again later: the row is pending again, due after that delay,
    until NOTIFY_MAX_TRIES tries failed."""
    now = timezone.now()
    if not claim(pk, now):
        due = Notification.objects.filter(pk=pk, status=Notification.Status.PENDING, due_at__gt=now).exists()
        return NOT_DUE if due else NOT_MINE
    notification = Notification.objects.select_related("user", "device").get(pk=pk)
    reason = why_not(notification)
    if reason is None and notification.channel == Channel.PUSH and notification.device is None:
        reason = "device removed"
    if reason is not None:
        Notification.objects.filter(pk=pk).update(status=Notification.Status.SKIPPED)
        log.debug("notification %s skipped: %s", pk, reason)
        return SKIPPED
    kind = notification.device.kind if notification.device else notification.channel
    started = time.monotonic()
    try:
        outcome = adapter_for(kind).send(notification, notification.device, payload_of(notification))
    except Exception as exc:  # an adapter's bug must not leave the row claimed for good
        log.exception("notification %s: the %s adapter failed", pk, kind)
        outcome = Outcome("error", None, f"{type(exc).__name__}: {exc}"[:500])
    record(notification, outcome, started)
    if outcome.result == OK:
        Notification.objects.filter(pk=pk).update(status=Notification.Status.SENT, sent_at=timezone.now())
        if notification.device_id:
            PushDevice.objects.filter(pk=notification.device_id).update(last_success_at=timezone.now())
        return SENT
    if outcome.result == GONE and notification.device_id:
        actions.forget_device(notification.device_id)
    tries = DeliveryAttempt.objects.filter(notification_id=pk).count()
    if outcome.result == RETRY and tries < settings.NOTIFY_MAX_TRIES:
        delay = retry_delay(outcome, tries)
        Notification.objects.filter(pk=pk).update(
            status=Notification.Status.PENDING, claimed_at=None, due_at=timezone.now() + timedelta(seconds=delay)
        )
        raise Retry(delay)
    Notification.objects.filter(pk=pk).update(status=Notification.Status.FAILED)
    return FAILED


def due_ids(channels, limit=500):
    """Pending notifications past their time whose task was lost or could not wait (no broker)."""
    return list(
        Notification.objects.filter(
            status=Notification.Status.PENDING, channel__in=channels, due_at__lte=timezone.now()
        ).values_list("pk", flat=True)[:limit]
    )
