from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("chats", "0003_messagereport_to_moderation"),
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
