"""Retention jobs of the files app; beat runs them on the schedules seeded by
files/migrations/0002 (editable in the admin under Periodic tasks)."""

from celery import shared_task

from files import actions

# Idempotent: a purge repeated or lost with its worker does no harm.
PURGE = {"acks_late": True, "ignore_result": True, "soft_time_limit": 1800, "time_limit": 1900}


@shared_task(**PURGE)
def purge_unattached_uploads():
    """Uploads never sent in a message within UPLOAD_UNATTACHED_HOURS."""
    return actions.do_purge_unattached(actions.unattached_cutoff()).files


@shared_task(**PURGE)
def purge_deleted_files():
    """Files of messages deleted more than TOMBSTONE_RETENTION_DAYS ago."""
    return actions.do_purge_released(actions.released_cutoff()).files
