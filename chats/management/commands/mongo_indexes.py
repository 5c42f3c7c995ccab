"""Create the MongoDB message store's indexes ahead of a deploy (the store also creates them the
first time a process writes), and the relational seq counters of conversations written before seqs
came from the relational DB. Safe to run again: an existing index or counter is left as it is."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Create the indexes of the MongoDB message store (MONGO_URL) and seed its seq counters."

    def add_arguments(self, parser):
        parser.add_argument("--mongo-url", default=None, help="default: the MONGO_URL setting")

    def handle(self, *args, mongo_url=None, **options):
        from chats.backends.mongo import INDEXES, MongoMessageStore

        url = mongo_url or settings.MONGO_URL
        if not url:
            raise CommandError("Set MONGO_URL (or pass --mongo-url) to the MongoDB database of the message store.")
        store = MongoMessageStore(url)
        try:
            store.ensure_indexes()
            seeded = store.seed_counters()
        finally:
            store.close()
        for collection, indexes in INDEXES.items():
            names = ", ".join(index.document["name"] for index in indexes)
            self.stdout.write(f"{collection}: {names}")
        self.stdout.write(f"seq counters seeded from the old counters collection: {seeded}")
