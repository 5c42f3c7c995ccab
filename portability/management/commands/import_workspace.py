"""manage.py import_workspace DIR [--verify | --verify-only]: load what export_workspace wrote into
this deployment (a fresh one: it refuses a database that has users or messages already), on
whichever message store MESSAGE_STORE selects, with every message's seq.

A rerun after an interruption continues from the checkpoint in --state-dir; --restart forgets it.
--verify compares, after loading, every table's count and checksum and every conversation's seqs,
counts and digest with the export's manifest; it names what differs and exits with status 1."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from portability import workspace
from portability.management.commands._verify import run_verify


class Command(BaseCommand):
    help = "Import a workspace export into a fresh deployment; resumable; --verify checks counts and checksums."

    def add_arguments(self, parser):
        parser.add_argument("directory")
        parser.add_argument("--state-dir", default=str(Path(settings.BASE_DIR) / ".state" / "import_workspace"))
        parser.add_argument("--restart", action="store_true", help="forget the checkpoint (the target must be empty)")
        parser.add_argument("--verify", action="store_true", help="compare with the export after loading")
        parser.add_argument("--verify-only", action="store_true", help="compare with the export, load nothing")
        parser.add_argument("--stop-after", type=int, default=None, help="tests: stop after N batches, as a kill would")

    def handle(self, *args, directory, state_dir, restart, verify, verify_only, stop_after, **options):
        directory = Path(directory)
        try:
            manifest = workspace.read_manifest(directory)
            if not verify_only:
                done = workspace.import_workspace(directory, Path(state_dir), restart=restart, stop_after=stop_after)
                resumed = "resumed, " if done["resumed"] else ""
                self.stdout.write(f"imported ({resumed}{done['chunks']} log chunks loaded)")
            if verify or verify_only:
                run_verify(self, directory, manifest)
        except workspace.Interrupted:
            raise CommandError("stopped as asked (--stop-after); run again to continue") from None
        except workspace.WorkspaceError as error:
            raise CommandError(str(error)) from error
