import os
from urllib.parse import urlparse, urlunparse

import pytest
from django.core.management import call_command
from pymongo import MongoClient


@pytest.fixture
def emptied(message_store, settings):
    """Returns a function that turns this deployment into a fresh one: the relational tables
    flushed and, on the Mongo store, a new empty database, as a new deployment would have."""
    from chats.backends import get_store

    made = []

    def run():
        call_command("flush", interactive=False, verbosity=0)
        if message_store == "mongo":
            old = get_store()
            url = urlparse(settings.MONGO_URL)
            fresh = f"{url.path.strip('/')}_fresh{len(made)}_{os.getpid()}"
            settings.MONGO_URL = urlunparse(url._replace(path=f"/{fresh}"))
            made.append((settings.MONGO_URL, fresh))
            get_store.cache_clear()
            old.close()

    yield run
    for url, name in made:
        with MongoClient(url) as client:
            client.drop_database(name)
