"""Celery tasks of the event pipeline; beat runs them on the schedules seeded by migration 0003
(editable in the admin under Periodic tasks)."""

import logging

from celery import shared_task
from confluent_kafka import KafkaException
from django.db import DatabaseError

from streaming import relay, retention

log = logging.getLogger(__name__)

# Both tasks are idempotent, so a task lost with its worker (acks_late) is simply run again.
RETRYING = {
    "acks_late": True,
    "autoretry_for": (DatabaseError, KafkaException),
    "retry_backoff": True,
    "retry_backoff_max": 300,
    "max_retries": 5,
    "ignore_result": True,
}


@shared_task(soft_time_limit=55, time_limit=70, **RETRYING)
def publish_stragglers():
    """Safety net: outbox rows still unsent after OUTBOX_STRAGGLER_SECONDS get published (or
    handled in-process without Kafka). Returns how many were sent."""
    return relay.publish_stragglers(budget_seconds=40)


@shared_task(soft_time_limit=600, time_limit=660, **RETRYING)
def trim_outbox():
    """Delete sent outbox rows and dedupe records past their retention."""
    deleted = retention.trim()
    log.info("trimmed %s sent outbox rows and %s processed-event records", deleted["outbox"], deleted["processed"])
    return deleted
