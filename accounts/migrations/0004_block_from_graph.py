# The Block model moves from graph to accounts; its table and constraints stay as they are.

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0003_display_name_visible"),
        ("graph", "0002_social"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Block",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                        ("blocked", models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name="+", to=settings.AUTH_USER_MODEL)),
                        ("blocker", models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name="+", to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        "db_table": "graph_block",
                        "indexes": [models.Index(fields=["blocked", "blocker"], name="graph_block_blocked_idx")],
                        "constraints": [
                            models.UniqueConstraint(fields=("blocker", "blocked"), name="graph_block_unique_pair"),
                            models.CheckConstraint(condition=models.Q(("blocker", models.F("blocked")), _negated=True), name="graph_block_not_self"),
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
