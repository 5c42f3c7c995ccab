"""Recompute the stored people-you-may-know candidates (graph.batch); celery beat runs it nightly."""

from django.core.management.base import BaseCommand, CommandError

from graph import batch
from graph.backends import GraphUnavailable


class Command(BaseCommand):
    help = "Walk the social graph for every active user (or the ones given) and store their suggestions."

    def add_arguments(self, parser):
        parser.add_argument("--users", type=int, nargs="+", metavar="ID", help="only these users")

    def handle(self, *args, users=None, **options):
        try:
            done = batch.compute_for(users) if users else batch.run()
        except GraphUnavailable as error:
            raise CommandError(str(error)) from error
        self.stdout.write(self.style.SUCCESS(f"Stored suggestions for {done} users."))
