"""Seed the files app's retention jobs for celery beat (editable in the admin under Periodic tasks;
an entry an operator already edited is left as it is)."""

from django.db import migrations

DAILY = [
    # name, task, hour, minute (UTC), description
    ("purge unsent uploads", "files.tasks.purge_unattached_uploads", 3, 45,
     "Purge uploads not sent in a message within UPLOAD_UNATTACHED_HOURS."),
    ("purge deleted messages' files", "files.tasks.purge_deleted_files", 4, 0,
     "Purge the files of messages deleted more than TOMBSTONE_RETENTION_DAYS ago."),
]


def seed(apps, schema_editor):
    from django.utils import timezone

    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    for name, task, hour, minute, description in DAILY:
        crontab, _ = CrontabSchedule.objects.get_or_create(
            minute=str(minute), hour=str(hour), day_of_week="*", day_of_month="*", month_of_year="*", timezone="UTC"
        )
        PeriodicTask.objects.get_or_create(name=name, defaults={"task": task, "crontab": crontab, "description": description})
    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def unseed(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name__in=[row[0] for row in DAILY]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("files", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(seed, unseed)]
