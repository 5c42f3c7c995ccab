"""Retention: unsent uploads are purged by a beat job, and the files of deleted messages after the
tombstone retention; both runs are recorded, and visible in the admin."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from chats import actions as chat_actions
from files import tasks
from files.models import PurgeRun, Upload
from testkit import files as samples

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("file_storage")]


def age(upload_id, **delta):
    Upload.objects.filter(pk=upload_id).update(created_at=timezone.now() - timedelta(**delta))


def test_unsent_uploads_are_purged_after_their_grace_and_not_before(client_for, alice, settings, file_storage):
    settings.UPLOAD_UNATTACHED_HOURS = 24
    old = samples.uploaded(client_for(alice), samples.png(), "old.png")
    fresh = samples.uploaded(client_for(alice), b"fresh", "fresh.txt")
    age(old["id"], hours=25)
    keys = Upload.objects.get(pk=old["id"]).storage_keys()

    assert tasks.purge_unattached_uploads() == 1
    assert [str(i) for i in Upload.objects.values_list("id", flat=True)] == [fresh["id"]]
    assert all(file_storage.size(key) is None for key in keys)
    run = PurgeRun.objects.get()
    assert (run.reason, run.files, run.bytes) == ("unattached", 1, old["size"])


def test_sent_files_are_not_purged_as_unsent(client_for, alice, group):
    upload = samples.uploaded(client_for(alice), b"kept", "kept.txt")
    chat_actions.do_send_message(alice, group.id, text="", client_id="k", attachment_ids=[upload["id"]])
    age(upload["id"], days=400)
    assert tasks.purge_unattached_uploads() == 0
    assert Upload.objects.exists()


def test_a_deleted_messages_files_go_after_the_tombstone_retention(client_for, alice, group, settings, file_storage):
    settings.TOMBSTONE_RETENTION_DAYS = 30
    upload = samples.uploaded(client_for(alice), b"regret", "regret.txt")
    message, _ = chat_actions.do_send_message(alice, group.id, text="", client_id="r", attachment_ids=[upload["id"]])
    key = Upload.objects.get().variant_key()
    chat_actions.do_delete_message(alice, group.id, message.id)

    assert tasks.purge_deleted_files() == 0  # still within the retention
    assert file_storage.size(key) == 6
    Upload.objects.update(released_at=timezone.now() - timedelta(days=31))
    assert tasks.purge_deleted_files() == 1
    assert file_storage.size(key) is None and not Upload.objects.exists()
    assert PurgeRun.objects.filter(reason="deleted", files=1).exists()


def test_the_purges_are_scheduled_for_beat(db):
    from django_celery_beat.models import PeriodicTask

    scheduled = set(PeriodicTask.objects.values_list("task", flat=True))
    assert {"files.tasks.purge_unattached_uploads", "files.tasks.purge_deleted_files"} <= scheduled


def test_the_admin_shows_uploads_due_for_purge_and_past_runs(client_for, alice, make_user, settings):
    upload = samples.uploaded(client_for(alice), b"stale", "stale-file.txt")
    age(upload["id"], hours=settings.UPLOAD_UNATTACHED_HOURS + 1)
    tasks.purge_deleted_files()
    browser = Client()
    browser.force_login(make_user("root", is_staff=True, is_superuser=True))

    due = browser.get("/admin/files/upload/?retention=unattached_due")
    assert due.status_code == 200 and b"stale-file.txt" in due.content
    runs = browser.get("/admin/files/purgerun/")
    assert runs.status_code == 200 and b"its message was deleted" in runs.content
