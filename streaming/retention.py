"""Trimming what the pipeline no longer needs: sent outbox rows, and old dedupe records."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from streaming.models import OutboxEvent, ProcessedEvent

CHUNK = 5000  # rows per DELETE: short statements, so the relay and writers never wait long


def delete_in_chunks(queryset):
    """Delete every row of `queryset`, CHUNK at a time; how many went."""
    model = queryset.model
    total = 0
    while True:
        ids = list(queryset.values_list("pk", flat=True)[:CHUNK])
        if not ids:
            return total
        total += model.objects.filter(pk__in=ids).delete()[0]


def trim(now=None):
    """Sent outbox rows past OUTBOX_RETENTION_DAYS, and ProcessedEvent rows past
    PROCESSED_EVENT_RETENTION_DAYS (which must outlast any redelivery: a later duplicate of a
    forgotten event would run again). Unsent rows are never trimmed."""
    now = now or timezone.now()
    sent_before = now - timedelta(days=settings.OUTBOX_RETENTION_DAYS)
    processed_before = now - timedelta(days=settings.PROCESSED_EVENT_RETENTION_DAYS)
    return {
        "outbox": delete_in_chunks(OutboxEvent.objects.filter(sent_at__lt=sent_before)),
        "processed": delete_in_chunks(ProcessedEvent.objects.filter(processed_at__lt=processed_before)),
    }
