"""Seed the notifications' periodic jobs for celery beat (DatabaseScheduler); editable in the admin
under Periodic tasks. An entry that already exists (edited by an operator) is left as it is."""

from django.db import migrations

EVERY = [
    # name, task, seconds, description
    ("notifications deliver due", "notifications.tasks.deliver_due", 30,
     "Send pending pushes and SMS past their grace whose task was lost or could not wait."),
    ("notifications send digests", "notifications.tasks.send_due_digests", 30,
     "Send the e-mail digests whose grace ended."),
]


def seed(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    from django.utils import timezone

    for name, task, seconds, description in EVERY:
        interval, _ = IntervalSchedule.objects.get_or_create(every=seconds, period="seconds")
        PeriodicTask.objects.get_or_create(
            name=name, defaults={"task": task, "interval": interval, "description": description}
        )
    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def unseed(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__in=[row[0] for row in EVERY]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(seed, unseed)]
