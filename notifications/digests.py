"""The e-mail digest: a person's missed messages, gathered while their digest is open (a later
message joins it instead of making another e-mail), grouped by conversation, in text and HTML,
with times in their own time zone and a signed one-click unsubscribe (RFC 8058)."""

import logging
import time
import zoneinfo
from datetime import timedelta
from itertools import groupby

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from notifications import actions
from notifications.backends.base import ERROR, OK, Outcome
from notifications.delivery import record, why_not
from notifications.models import Channel, Digest, Notification

log = logging.getLogger(__name__)

UNSUBSCRIBE_SALT = "notifications.unsubscribe"
RETRY_AFTER = timedelta(minutes=5)


def unsubscribe_token(user_id):
    return signing.dumps({"u": user_id}, salt=UNSUBSCRIBE_SALT)


def user_of_token(token):
    """The user id an unsubscribe token names, or None when it is forged or garbled."""
    try:
        return int(signing.loads(token, salt=UNSUBSCRIBE_SALT)["u"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None


def unsubscribe_url(user_id):
    return f"{settings.SITE_URL}/api/v1/notifications/unsubscribe?token={unsubscribe_token(user_id)}"


def conversation_url(conversation_id):
    return f"{settings.SITE_URL}/c/{conversation_id}"


def send_due(limit=200):
    """Send every digest whose time came -> how many e-mails left."""
    sent = 0
    due = Digest.objects.filter(sent_at__isnull=True, due_at__lte=timezone.now()).values_list("pk", flat=True)
    for pk in list(due[:limit]):
        if send_digest(pk):
            sent += 1
    return sent


def _claim(pk):
    # Closing the digest first means a message planned from now on opens the next one.
    return Digest.objects.filter(pk=pk, sent_at__isnull=True).update(sent_at=timezone.now())


def send_digest(pk):
    if not _claim(pk):
        return False
    digest = Digest.objects.select_related("user").get(pk=pk)
    user = digest.user
    pending = list(
        Notification.objects.filter(user=user, channel=Channel.EMAIL, status=Notification.Status.PENDING)
        .select_related("user")
        .order_by("conversation_id", "seq")
    )
    wanted, dropped = [], []
    for notification in pending:
        (dropped if why_not(notification) else wanted).append(notification)
    Notification.objects.filter(pk__in=[n.pk for n in dropped]).update(status=Notification.Status.SKIPPED)
    if not wanted or not user.email:
        return False
    started = time.monotonic()
    try:
        build(user, wanted).send()
        outcome = Outcome(OK)
    except Exception as exc:  # any failure of the network or the service: tried again later
        log.warning("digest %s for user %s failed", pk, user.pk, exc_info=True)
        outcome = Outcome(ERROR, None, f"{type(exc).__name__}: {exc}"[:500])
    with transaction.atomic():
        for notification in wanted:
            record(notification, outcome, started)
        if outcome.result == OK:
            Notification.objects.filter(pk__in=[n.pk for n in wanted]).update(
                status=Notification.Status.SENT, sent_at=timezone.now()
            )
        else:  # reopen it, unless a newer one opened meanwhile (its messages join that one)
            if not Digest.objects.filter(user=user, sent_at__isnull=True).exists():
                Digest.objects.filter(pk=pk).update(sent_at=None, due_at=timezone.now() + RETRY_AFTER)
    return outcome.result == OK


def build(user, notifications):
    prefs = actions.preferences_of(user)
    try:
        zone = zoneinfo.ZoneInfo(prefs.time_zone or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo("UTC")
    conversations = []
    for conversation_id, items in groupby(notifications, key=lambda n: n.conversation_id):
        items = list(items)
        conversations.append(
            {
                "title": items[0].title,
                "url": conversation_url(conversation_id),
                "messages": [{"at": timezone.localtime(n.occurred_at, zone), "text": n.body} for n in items],
            }
        )
    count = len(notifications)
    context = {
        "user": user,
        "conversations": conversations,
        "count": count,
        "unsubscribe_url": unsubscribe_url(user.pk),
        "settings_url": f"{settings.SITE_URL}/",
    }
    # Templates show times in the current zone: the reader's, for this e-mail.
    with translation.override(prefs.language or settings.LANGUAGE_CODE), timezone.override(zone):
        subject = f"{count} new message{'s' if count != 1 else ''} on chatsite"
        text = render_to_string("notifications/digest.txt", context)
        html = render_to_string("notifications/digest.html", context)
    message = EmailMultiAlternatives(
        subject,
        text,
        settings.DEFAULT_FROM_EMAIL,
        [user.email],
        headers={
            "List-Unsubscribe": f"<{context['unsubscribe_url']}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Auto-Submitted": "auto-generated",
        },
    )
    message.attach_alternative(html, "text/html")
    return message
