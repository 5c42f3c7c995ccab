"""Celery tasks of analytics; beat runs them on the schedules seeded by migration 0002 (editable
in the admin under Periodic tasks). Both are idempotent, so a lost run is simply run again."""

from datetime import timedelta

from celery import shared_task
from django.db import DatabaseError
from django.utils import timezone

from analytics import etl, exporter

RETRYING = {
    "acks_late": True,
    "autoretry_for": (DatabaseError,),
    "retry_backoff": True,
    "max_retries": 3,
    "ignore_result": True,
}

# The nightly run recomputes a few days back, so events that arrived late are counted.
NIGHTLY_DAYS = 3


@shared_task(soft_time_limit=240, time_limit=300, **RETRYING)
def export_events():
    """Outbox -> raw Parquet, from the exporter's checkpoint on."""
    return exporter.export()


@shared_task(soft_time_limit=3000, time_limit=3300, **RETRYING)
def nightly_batch():
    """Export, then recompute the last NIGHTLY_DAYS days (up to yesterday) into the aggregate tables."""
    exporter.export()
    last = timezone.now().date() - timedelta(days=1)
    return etl.run(last - timedelta(days=NIGHTLY_DAYS - 1), last)
