"""Rebuild the Neo4j mirror of the social graph from the relational tables, or check it.

    manage.py rebuild_graph --to neo4j            rebuild (resumes an interrupted run)
    manage.py rebuild_graph --to neo4j --verify   compare counts and checksums; exit 1 on a mismatch

The checkpoint lives in Neo4j itself, as the space's (:GraphRebuild {space}) node, moved in the
same transaction as each batch.
"""

import os
import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from graph import rebuild
from graph.backends import GraphUnavailable
from graph.backends.neo4j_nodes import install_schema

CRASH_EXIT_CODE = 75


class Command(BaseCommand):
    help = "Rebuild the Neo4j mirror of the social graph from the relational truth (resumable), or --verify it."

    def add_arguments(self, parser):
        parser.add_argument("--to", choices=["neo4j"], required=True, help="The mirror to rebuild.")
        parser.add_argument("--verify", action="store_true", help="Only compare the mirror with the truth.")
        parser.add_argument("--batch-size", type=int, default=2000, help="Rows per Neo4j transaction.")
        parser.add_argument("--restart", action="store_true", help="Ignore a checkpoint and start over.")
        parser.add_argument("--space", default=None, help="The mirror's space (default: GRAPH_NEO4J_SPACE).")
        parser.add_argument(
            "--stop-after-batches",
            type=int,
            default=None,
            help=f"Crash on purpose (exit {CRASH_EXIT_CODE}, no clean-up) after this many batches: for resume tests.",
        )

    def handle(self, *args, to, verify, batch_size, restart, space, stop_after_batches, **options):
        space = space or settings.GRAPH_NEO4J_SPACE
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        try:
            if verify:
                self._verify(space)
            else:
                install_schema()
                self._rebuild(space, batch_size, restart, stop_after_batches)
        except GraphUnavailable as error:
            raise CommandError(str(error)) from error

    def _rebuild(self, space, batch_size, restart, stop_after_batches):
        try:
            rebuild.rebuild(
                space,
                batch_size=batch_size,
                progress=rebuild.progress_bar,
                restart=restart,
                stop_after_batches=stop_after_batches,
                log=self.stdout.write,
            )
        except rebuild.SimulatedCrash as crash:
            self.stdout.write(f"simulated crash: {crash}")
            self.stdout.flush()
            sys.stderr.flush()
            os._exit(CRASH_EXIT_CODE)  # no clean-up at all, like a killed process

    def _verify(self, space):
        report = rebuild.verify(space)
        self.stdout.write(f"{'kind':<14}{'sql rows':>10}{'neo4j rows':>12}  checksums")
        mismatched = []
        for kind, (truth, mirror) in report.items():
            same = truth == mirror
            if not same:
                mismatched.append(kind)
            verdict = "match" if truth.checksum == mirror.checksum else "DIFFER"
            self.stdout.write(f"{kind:<14}{truth.count:>10}{mirror.count:>12}  {verdict}")
        if mismatched:
            raise CommandError(f"The Neo4j mirror (space {space}) differs from the truth in: {', '.join(mismatched)}.")
        self.stdout.write(self.style.SUCCESS(f"The Neo4j mirror (space {space}) matches the truth."))
