"""Seed the purge of expired data exports for celery beat (editable in the admin under Periodic
tasks; an entry an operator already edited is left as it is). Hourly: an export is offered for
DATA_EXPORT_HOURS, and its file should not outlive that by much."""

from django.db import migrations

NAME = "purge expired data exports"


def seed(apps, schema_editor):
    from django.utils import timezone

    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute="20", hour="*", day_of_week="*", day_of_month="*", month_of_year="*", timezone="UTC"
    )
    PeriodicTask.objects.get_or_create(
        name=NAME,
        defaults={
            "task": "portability.tasks.purge_expired_exports",
            "crontab": crontab,
            "description": "Delete the files of personal data exports past DATA_EXPORT_HOURS.",
        },
    )
    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def unseed(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("portability", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(seed, unseed)]
