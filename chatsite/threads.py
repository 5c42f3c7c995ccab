"""How async code (a socket, an async view) hands blocking work to a thread."""

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from django.db import connection


def _database_threads():
    """ORM work and actions: on PostgreSQL (or any server database) in a pool of threads, each
    with a pooled connection, so that while one send waits on the database the next one runs,
    instead of queueing behind it in Django's one sync thread. SQLite allows one writer at a
    time, so there it keeps to that thread."""
    if connection.vendor == "sqlite":
        return database_sync_to_async
    return lambda func: database_sync_to_async(func, thread_sensitive=False)


in_thread = _database_threads()
off_loop = sync_to_async(thread_sensitive=False)  # presence: Redis calls, no ORM
