"""Seed ml's periodic jobs for celery beat (DatabaseScheduler); editable in the admin under
Periodic tasks. An entry that already exists (edited by an operator) is left as it is."""

from django.db import migrations

DAILY = [
    # name, task, hour, minute (UTC), description
    ("ml retrain", "ml.tasks.retrain", 2, 45,
     "Retrain the spam and abuse models when ML_RETRAIN_MIN_NEW_LABELS new labels arrived; the gate decides."),
    ("ml prune sent texts", "ml.tasks.prune_sent_texts", 4, 45,
     "Forget sent messages' text kept for labelling past ML_TEXT_RETENTION_DAYS."),
]


def seed(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    from django.utils import timezone

    for name, task, hour, minute, description in DAILY:
        crontab, _ = CrontabSchedule.objects.get_or_create(
            minute=str(minute), hour=str(hour), day_of_week="*", day_of_month="*", month_of_year="*", timezone="UTC"
        )
        PeriodicTask.objects.get_or_create(
            name=name, defaults={"task": task, "crontab": crontab, "description": description}
        )
    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def unseed(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__in=[row[0] for row in DAILY]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("ml", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(seed, unseed)]
