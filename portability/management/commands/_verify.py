"""The verify step both workspace commands offer: the files against the manifest, then this
deployment against it."""

from django.core.management.base import CommandError

from portability import workspace


def run_verify(command, directory, manifest):
    if bad := workspace.check_files(directory, manifest):
        raise CommandError(f"{len(bad)} files are missing or damaged: {', '.join(bad[:5])}", returncode=1)
    if differ := workspace.verify(manifest):
        for line in differ:
            command.stdout.write(f"differs: {line}")
        raise CommandError(f"{len(differ)} differences", returncode=1)
    command.stdout.write(
        f"verified: {len(manifest['tables'])} tables and {len(manifest['conversations'])} conversations match"
    )
