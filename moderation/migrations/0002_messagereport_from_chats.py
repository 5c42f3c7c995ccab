# Reports move from chats to moderation; the table, its rows, index and constraint stay as they are.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def relabel_content_type(apps, schema_editor):
    """Keep the permissions moderators were granted on reports: their content type moves along."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    if not ContentType.objects.filter(app_label="moderation", model="messagereport").exists():
        ContentType.objects.filter(app_label="chats", model="messagereport").update(app_label="moderation")


def restore_content_type(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    if not ContentType.objects.filter(app_label="chats", model="messagereport").exists():
        ContentType.objects.filter(app_label="moderation", model="messagereport").update(app_label="chats")


class Migration(migrations.Migration):

    dependencies = [
        ("moderation", "0001_initial"),
        ("chats", "0002_message_search_index"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="MessageReport",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("message_id", models.UUIDField()),
                        ("reason", models.CharField(max_length=500)),
                        ("text_snapshot", models.TextField(blank=True)),
                        ("sender_id", models.BigIntegerField(null=True)),
                        ("status", models.CharField(choices=[("open", "Open"), ("dismissed", "Dismissed"), ("actioned", "Actioned")], default="open", max_length=10)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("resolved_at", models.DateTimeField(blank=True, null=True)),
                        ("conversation", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="+", to="chats.conversation")),
                        ("reporter", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="+", to=settings.AUTH_USER_MODEL)),
                        ("resolved_by", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        "db_table": "chats_messagereport",
                        "indexes": [models.Index(fields=["status", "created_at"], name="chats_messa_status_b243a3_idx")],
                        "constraints": [models.UniqueConstraint(fields=("message_id", "reporter"), name="one_report_per_reporter")],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(relabel_content_type, restore_content_type),
    ]
