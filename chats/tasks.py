"""Celery tasks of the chat domain; beat runs them on the schedules seeded by
streaming/migrations/0003 (editable in the admin under Periodic tasks)."""

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db import DatabaseError
from django.utils import timezone
from pymongo.errors import ConnectionFailure

from chats import selectors
from chats.backends import get_store
from gateway import fanout, presence
from streaming.events import emit

log = logging.getLogger(__name__)

# Idempotent jobs: a run lost with its worker (acks_late) or repeated does no harm.
RETRYING = {
    "acks_late": True,
    "autoretry_for": (DatabaseError, ConnectionFailure, ConnectionError),
    "retry_backoff": True,
    "retry_backoff_max": 300,
    "max_retries": 5,
    "ignore_result": True,
}


@shared_task(soft_time_limit=25, time_limit=30, **RETRYING)
def sweep_presence():
    """Expire presence and typing state whose sockets stopped refreshing it, and tell the
    conversations of those who went offline or away."""
    removed, changes = presence.sweep_expired()
    if changes:
        fanout.announce_presence(changes, selectors.conversation_ids_by_user(changes))
    # Sockets online over time (analytics): one sample per sweep, a gauge rather than an event per
    # connect, so a thousand sockets opening cost nothing more.
    sockets, users = presence.online()
    emit("presence.sampled", key="presence", payload={"sockets": sockets, "users": users})
    return removed


@shared_task(soft_time_limit=1800, time_limit=1900, **RETRYING)
def purge_tombstones():
    """Remove what is left of messages deleted more than TOMBSTONE_RETENTION_DAYS ago."""
    older_than = timezone.now() - timedelta(days=settings.TOMBSTONE_RETENTION_DAYS)
    purged = get_store().purge_tombstones(older_than)
    log.info("purged %s tombstoned messages deleted before %s", purged, older_than.isoformat())
    return purged


@shared_task(soft_time_limit=3500, time_limit=3600, **RETRYING)
def apply_retention():
    """Delete the messages that retention policies say are too old (chats.retention)."""
    from chats import retention

    return sum(run.deleted for run in retention.apply_all())
