"""Beat's schedule lives in the database (django-celery-beat), seeded by a migration."""

from datetime import timedelta

import pytest
from django_celery_beat.models import PeriodicTask
from django_celery_beat.schedulers import DatabaseScheduler

from chatsite.celery import app as celery_app

pytestmark = pytest.mark.django_db

SEEDED = {
    "outbox safety net": "streaming.tasks.publish_stragglers",
    "presence sweep": "chats.tasks.sweep_presence",
    "purge tombstones": "chats.tasks.purge_tombstones",
    "trim outbox": "streaming.tasks.trim_outbox",
}


def test_the_database_scheduler_loads_the_seeded_jobs():
    scheduler = DatabaseScheduler(app=celery_app, lazy=True)
    entries = scheduler.all_as_schedule()
    assert entries["outbox safety net"].task == SEEDED["outbox safety net"]
    assert entries["outbox safety net"].schedule.run_every == timedelta(seconds=30)
    assert entries["presence sweep"].task == SEEDED["presence sweep"]
    # Beat reads a daily job only in the hours around its run; build its entry the way beat does.
    purge = scheduler.Entry(PeriodicTask.objects.get(name="purge tombstones"), app=celery_app)
    assert (purge.task, purge.schedule.hour, purge.schedule.minute) == (SEEDED["purge tombstones"], {3}, {30})
    trim = scheduler.Entry(PeriodicTask.objects.get(name="trim outbox"), app=celery_app)
    assert (trim.task, trim.schedule.hour, trim.schedule.minute) == (SEEDED["trim outbox"], {4}, {15})


def test_every_scheduled_task_is_a_registered_celery_task():
    celery_app.loader.import_default_modules()
    for name in PeriodicTask.objects.filter(name__in=SEEDED).values_list("task", flat=True):
        assert name in celery_app.tasks, name
    assert set(PeriodicTask.objects.filter(name__in=SEEDED).values_list("name", "task")) == set(SEEDED.items())


def test_the_presence_sweep_task_runs_the_gateways_sweeper():
    from chats.tasks import sweep_presence
    from gateway import presence

    assert sweep_presence.apply().get() == 0
    assert presence.sweep_expired() == (0, {})
