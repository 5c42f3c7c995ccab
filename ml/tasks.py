"""Celery tasks of ml; beat runs them on the schedules seeded by ml/migrations/0002 (editable in
the admin under Periodic tasks)."""

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from ml import actions, datasets, selectors
from ml.models import KINDS, SentText

log = logging.getLogger(__name__)


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=3300, time_limit=3600)
def retrain(kinds=KINDS, force=False):
    """Train a candidate for each model that got ML_RETRAIN_MIN_NEW_LABELS new labels since its
    active version; the gate decides whether it replaces the active one."""
    results = {}
    for kind in kinds:
        new = selectors.new_labels_since_active(kind)
        if not force and selectors.active_version(kind) and new < settings.ML_RETRAIN_MIN_NEW_LABELS:
            results[kind] = f"skipped: {new} new labels"
            continue
        try:
            row, promoted, _ = actions.do_train(kind)
        except datasets.DatasetMissing as exc:
            log.error("ml: cannot retrain %s: %s", kind, exc)
            results[kind] = f"failed: {exc}"
            continue
        results[kind] = f"v{row.version} {'promoted' if promoted else 'refused'}"
        log.info("ml: retrained %s: %s", kind, results[kind])
    return results


@shared_task(acks_late=True, ignore_result=True)
def prune_sent_texts():
    """Forget sent messages' text past ML_TEXT_RETENTION_DAYS."""
    cutoff = timezone.now() - timedelta(days=settings.ML_TEXT_RETENTION_DAYS)
    deleted, _ = SentText.objects.filter(created_at__lt=cutoff).delete()
    return deleted
