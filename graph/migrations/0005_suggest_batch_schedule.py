"""Seed the nightly people-you-may-know batch that celery beat (DatabaseScheduler) runs. Editable in
the admin under Periodic tasks; an entry that already exists (edited by an operator) is left as it is."""

from django.db import migrations

# After the analytics nightly run (02:30 UTC), so the two heavy jobs don't share the night's first hours.
NAME, TASK, HOUR, MINUTE = "graph suggestions", "graph.tasks.suggest_batch", 3, 30
DESCRIPTION = "Walk the social graph for every active user and store their people-you-may-know candidates."


def seed(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    from django.utils import timezone

    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute=str(MINUTE), hour=str(HOUR), day_of_week="*", day_of_month="*", month_of_year="*", timezone="UTC"
    )
    PeriodicTask.objects.get_or_create(name=NAME, defaults={"task": TASK, "crontab": crontab, "description": DESCRIPTION})
    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def unseed(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("graph", "0004_suggestions"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(seed, unseed)]
