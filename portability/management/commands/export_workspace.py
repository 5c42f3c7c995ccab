"""manage.py export_workspace DIR [--verify] [--restart]: the whole workspace as files that
import_workspace loads into a fresh deployment (see portability.workspace for the layout).

A rerun after an interruption continues where the last one stopped; --restart starts over.
--verify then checks the files against their checksums and this deployment against the export
(stop writes first, or a conversation that changed meanwhile is reported)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from portability import workspace
from portability.management.commands._verify import run_verify


class Command(BaseCommand):
    help = "Export users, conversations, memberships and every message log to a folder; resumable."

    def add_arguments(self, parser):
        parser.add_argument("directory")
        parser.add_argument("--batch-size", type=int, default=500, help="seqs per line of a log file (default 500)")
        parser.add_argument("--restart", action="store_true", help="forget a partial or finished export; start over")
        parser.add_argument("--verify", action="store_true", help="check the files and compare with this deployment")
        parser.add_argument("--stop-after", type=int, default=None, help="tests: stop after N files, as a kill would")

    def handle(self, *args, directory, batch_size, restart, verify, stop_after, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        directory = Path(directory)
        try:
            manifest = workspace.export_workspace(directory, span=batch_size, restart=restart, stop_after=stop_after)
            self.stdout.write(
                f"exported {manifest['tables']['users']['count']} users, "
                f"{manifest['tables']['conversations']['count']} conversations, "
                f"{len(manifest['conversations'])} message logs to {directory}"
            )
            if verify:
                run_verify(self, directory, manifest)
        except workspace.Interrupted:
            raise CommandError("stopped as asked (--stop-after); run again to continue") from None
        except workspace.WorkspaceError as error:
            raise CommandError(str(error)) from error
