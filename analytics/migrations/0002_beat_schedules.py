"""Seed the analytics jobs that celery beat (DatabaseScheduler) runs. Editable in the admin under
Periodic tasks; an entry that already exists (edited by an operator) is left as it is."""

from django.db import migrations

EXPORT = ("analytics export", "analytics.tasks.export_events", 300, "Outbox events to raw Parquet (analytics).")
NIGHTLY = ("analytics nightly", "analytics.tasks.nightly_batch", 2, 30, "Recompute the last days' analytics aggregates.")


def seed(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    from django.utils import timezone

    name, task, every, description = EXPORT
    interval, _ = IntervalSchedule.objects.get_or_create(every=every, period="seconds")
    PeriodicTask.objects.get_or_create(
        name=name, defaults={"task": task, "interval": interval, "expire_seconds": every, "description": description}
    )
    name, task, hour, minute, description = NIGHTLY
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute=str(minute), hour=str(hour), day_of_week="*", day_of_month="*", month_of_year="*", timezone="UTC"
    )
    PeriodicTask.objects.get_or_create(name=name, defaults={"task": task, "crontab": crontab, "description": description})
    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def unseed(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name__in=[EXPORT[0], NIGHTLY[0]]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(seed, unseed)]
