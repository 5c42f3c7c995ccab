"""Create the Neo4j mirror's constraints and indexes. Safe to run again: existing ones stay."""

from django.core.management.base import BaseCommand, CommandError

from graph.backends import GraphUnavailable
from graph.backends.neo4j_nodes import install_schema


class Command(BaseCommand):
    help = "Create the Neo4j constraints and indexes of the social graph mirror (idempotent)."

    def handle(self, *args, **options):
        try:
            install_schema(stdout=self.stdout if options["verbosity"] > 1 else None)
        except GraphUnavailable as error:
            raise CommandError(str(error)) from error
        self.stdout.write(self.style.SUCCESS("Neo4j graph schema is in place."))
