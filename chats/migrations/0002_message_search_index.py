"""A GIN index for PostgreSQL full-text search over message text. It matches the expression the
SQL store queries with (config 'simple'); other databases search without it."""

from django.db import migrations

INDEX = "stored_message_text_fts"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON chats_storedmessage "
            "USING gin (to_tsvector('simple'::regconfig, COALESCE(text, '')))"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("chats", "0001_initial")]
    operations = [migrations.RunPython(create, drop)]
