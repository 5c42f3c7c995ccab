"""Writes of the personal data export: asking for one, building it, and purging it when it expires."""

import logging
import tempfile
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from chatsite.api_errors import ApiError
from files.backends import get_storage
from portability import personal
from portability.models import DataExport

log = logging.getLogger(__name__)
BUSY = (DataExport.Status.PENDING, DataExport.Status.RUNNING)


def check_request_export(user) -> None:
    # One at a time: each build reads all of a person's conversations and files.
    if DataExport.objects.filter(user=user, status__in=BUSY).exists():
        raise ApiError("export_running", "An export of your data is already being prepared.", 409)


def do_request_export(user) -> DataExport:
    from portability import tasks

    with transaction.atomic():
        # The user's row lock makes two quick requests queue, so the second sees the first.
        get_user_model().objects.select_for_update().filter(pk=user.pk).first()
        check_request_export(user)
        export = DataExport.objects.create(user=user)
        transaction.on_commit(lambda: tasks.build_data_export.delay(str(export.id)))
    return export


def do_build(export_id) -> DataExport | None:
    """Build the zip of a pending export and offer it for DATA_EXPORT_HOURS. A repeated run (a
    worker lost mid-way) builds it again; one for an export already finished does nothing."""
    updated = DataExport.objects.filter(pk=export_id, status__in=BUSY).update(
        status=DataExport.Status.RUNNING, progress=0
    )
    if not updated:
        return None
    export = DataExport.objects.select_related("user").get(pk=export_id)

    def progress(percent):
        DataExport.objects.filter(pk=export_id).update(progress=min(percent, 99))

    try:
        with tempfile.TemporaryFile() as zipped:
            personal.write_zip(export.user, zipped, progress)
            size = zipped.tell()
            zipped.seek(0)
            get_storage().put(export.key, zipped, "application/zip")
    except Exception:
        log.exception("data export %s failed", export_id)
        DataExport.objects.filter(pk=export_id).update(status=DataExport.Status.FAILED, error="could not be built")
        raise
    now = timezone.now()
    DataExport.objects.filter(pk=export_id).update(
        status=DataExport.Status.READY,
        progress=100,
        size=size,
        finished_at=now,
        expires_at=now + timedelta(hours=settings.DATA_EXPORT_HOURS),
    )
    return DataExport.objects.get(pk=export_id)


def do_purge_expired(now=None) -> int:
    """Delete the files of exports past their time; the rows stay, marked expired."""
    now = now or timezone.now()
    storage, purged = get_storage(), 0
    for export in DataExport.objects.filter(status=DataExport.Status.READY, expires_at__lte=now).iterator():
        storage.delete(export.key)
        purged += DataExport.objects.filter(pk=export.pk, status=DataExport.Status.READY).update(
            status=DataExport.Status.EXPIRED
        )
    return purged
