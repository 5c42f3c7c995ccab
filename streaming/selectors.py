"""Reads about the event pipeline, for /readyz, the relay's log and the admin."""

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from streaming.models import OutboxEvent

# Counting a huge backlog row by row would make /readyz slow exactly when it matters; past this,
# the count says "at least".
COUNT_CAP = 100_000


def outbox_lag():
    """How far the outbox is behind: unsent rows (capped at COUNT_CAP), the age of the oldest,
    and (embedded mode) rows whose in-process handlers have failed every allowed attempt."""
    unsent = OutboxEvent.objects.filter(sent_at__isnull=True)
    oldest = unsent.order_by("occurred_at").values_list("occurred_at", flat=True).first()
    count = unsent.values("pk")[:COUNT_CAP].count()
    given_up = unsent.filter(attempts__gte=settings.OUTBOX_LOCAL_MAX_ATTEMPTS).values("pk")[:COUNT_CAP].count()
    return {
        "unsent": count,
        "unsent_capped": count >= COUNT_CAP,
        "oldest_unsent_age_seconds": round((timezone.now() - oldest).total_seconds(), 3) if oldest else None,
        "given_up": given_up,
    }


def outbox_after(occurred_at=None, event_id=None, *, until, limit):
    """Outbox events (sent or not) after the position (occurred_at, then id) and at or before
    `until`, oldest first: what an exporter that keeps its own checkpoint reads next."""
    rows = OutboxEvent.objects.filter(occurred_at__lte=until)
    if occurred_at is not None:
        rows = rows.filter(Q(occurred_at__gt=occurred_at) | Q(occurred_at=occurred_at, id__gt=event_id))
    return list(rows.order_by("occurred_at", "id")[:limit])
