"""The message store port. `get_store()` returns the adapter that MESSAGE_STORE selects."""

from functools import cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


@cache
def get_store():
    name = settings.MESSAGE_STORE
    if name == "sql":
        from chats.backends.sql import SqlMessageStore

        return SqlMessageStore()
    if name == "mongo":
        from chats.backends.mongo import MongoMessageStore

        return MongoMessageStore(settings.MONGO_URL)
    raise ImproperlyConfigured(f"MESSAGE_STORE must be 'sql' or 'mongo', not {name!r}")
