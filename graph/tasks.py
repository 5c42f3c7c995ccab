"""Celery tasks of the graph; beat runs the batch on the schedule seeded by migration 0005
(editable in the admin under Periodic tasks). Idempotent: a lost run is simply run again."""

from celery import shared_task
from django.db import DatabaseError

from graph import batch
from graph.backends import GraphUnavailable


@shared_task(
    acks_late=True,
    autoretry_for=(DatabaseError, GraphUnavailable),
    retry_backoff=True,
    max_retries=3,
    ignore_result=True,
    soft_time_limit=3 * 3600,
    time_limit=3 * 3600 + 300,
)
def suggest_batch():
    """Retrain the learned ranker on the newest history (stored only if it ranks at least as well
    as the linear walk on users it did not learn from), then recompute every active user's stored
    suggestions with whichever ranks best."""
    batch.train()
    return batch.run()
