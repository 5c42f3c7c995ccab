"""Celery tasks of the personal data export. The purge runs on the schedule seeded by
portability/migrations/0002 (editable in the admin under Periodic tasks)."""

from celery import shared_task
from django.db import DatabaseError

from portability import actions


@shared_task(
    acks_late=True,
    autoretry_for=(DatabaseError, ConnectionError),
    retry_backoff=True,
    max_retries=3,
    ignore_result=True,
    soft_time_limit=3300,
    time_limit=3600,
)
def build_data_export(export_id):
    export = actions.do_build(export_id)
    return export.size if export else None


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=600, time_limit=660)
def purge_expired_exports():
    return actions.do_purge_expired()
