# Reports now belong to moderation (moderation/migrations/0002); the table stays.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("chats", "0002_message_search_index"),
        ("moderation", "0002_messagereport_from_chats"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="MessageReport")],
            database_operations=[],
        ),
    ]
