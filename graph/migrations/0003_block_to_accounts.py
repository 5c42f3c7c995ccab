# The Block model now belongs to accounts (accounts/migrations/0003); the table stays.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("graph", "0002_social"),
        ("accounts", "0004_block_from_graph"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="Block")],
            database_operations=[],
        ),
    ]
