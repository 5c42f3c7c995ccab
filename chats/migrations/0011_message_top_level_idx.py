from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("chats", "0010_storedmessage_previews"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="storedmessage",
            index=models.Index(
                condition=models.Q(("thread_root_id__isnull", True)),
                fields=["conversation_id", "seq"],
                name="message_top_level_idx",
            ),
        ),
    ]
