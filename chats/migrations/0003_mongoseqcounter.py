from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("chats", "0002_message_search_index"),
    ]

    operations = [
        migrations.CreateModel(
            name="MongoSeqCounter",
            fields=[
                ("conversation_id", models.UUIDField(primary_key=True, serialize=False)),
                ("last_seq", models.PositiveBigIntegerField(default=0)),
            ],
        ),
    ]
