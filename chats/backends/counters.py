"""Seqs from a relational counter row per conversation, for every message store.

The UPDATE takes the counter row's lock first, so concurrent writers to one conversation queue
there and each gets the next number; a rollback of the writer's transaction gives it back.
RETURNING (PostgreSQL, SQLite 3.35+) saves the round trip of reading it back.
"""

from django.db import IntegrityError, connection, transaction


def claim_next(model, conversation_id, first=lambda: 1):
    """The next seq of the conversation from `model`'s counter row, in the caller's transaction.
    A conversation without a row starts at `first()`."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET last_seq = last_seq + 1 WHERE conversation_id = %s RETURNING last_seq",  # noqa: S608 # nosec B608 - only the model's own table name is interpolated
            [model._meta.pk.get_db_prep_value(conversation_id, connection)],
        )
        row = cursor.fetchone()
    if row:
        return row[0]
    start = first()
    try:
        with transaction.atomic():
            model.objects.create(pk=conversation_id, last_seq=start)
        return start
    except IntegrityError:  # another writer made the row first; its lock queues us
        return claim_next(model, conversation_id, first)
