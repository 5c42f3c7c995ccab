"""Import labelled decisions from another system: a CSV with the columns text,label (1 = spam or abusive)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from chatsite.api_errors import ApiError
from ml import actions
from ml.models import KINDS


class Command(BaseCommand):
    help = "Import text,label rows as labels of the spam or abuse model."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--model", choices=KINDS, required=True)

    def handle(self, *args, file, model, **options):
        try:
            count = actions.do_import_labels(model, file.read_text(encoding="utf-8"))
        except (OSError, ApiError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"imported {count} {model} labels")
