"""Seed the periodic jobs that celery beat (DatabaseScheduler) runs. Editable in the admin under
Periodic tasks; an entry that already exists (edited by an operator) is left as it is."""

from django.db import migrations

INTERVALS = [
    # name, task, every (seconds), description
    ("outbox safety net", "streaming.tasks.publish_stragglers", 30,
     "Publish outbox events still unsent after OUTBOX_STRAGGLER_SECONDS."),
    ("presence sweep", "chats.tasks.sweep_presence", 30,
     "Expire presence and typing state that stopped being refreshed."),
]
DAILY = [
    # name, task, hour, minute (UTC), description
    ("purge tombstones", "chats.tasks.purge_tombstones", 3, 30,
     "Purge messages deleted more than TOMBSTONE_RETENTION_DAYS ago."),
    ("trim outbox", "streaming.tasks.trim_outbox", 4, 15,
     "Delete sent outbox rows and dedupe records past their retention."),
]


def seed(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    from django.utils import timezone

    for name, task, every, description in INTERVALS:
        interval, _ = IntervalSchedule.objects.get_or_create(every=every, period="seconds")
        # A run that waited longer than its interval is dropped: the next one does the same work.
        PeriodicTask.objects.get_or_create(
            name=name,
            defaults={"task": task, "interval": interval, "expire_seconds": every, "description": description},
        )
    for name, task, hour, minute, description in DAILY:
        crontab, _ = CrontabSchedule.objects.get_or_create(
            minute=str(minute), hour=str(hour), day_of_week="*", day_of_month="*", month_of_year="*", timezone="UTC"
        )
        PeriodicTask.objects.get_or_create(
            name=name, defaults={"task": task, "crontab": crontab, "description": description}
        )
    # A running beat reloads its schedule when this changes (signals do not fire in migrations).
    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def unseed(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__in=[row[0] for row in INTERVALS + DAILY]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("streaming", "0002_processed_event_and_local_attempts"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(seed, unseed)]
