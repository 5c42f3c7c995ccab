"""Make an earlier model version active again (audited in the registry's events)."""

from django.core.management.base import BaseCommand, CommandError

from chatsite.api_errors import ApiError
from ml import actions
from ml.models import KINDS


class Command(BaseCommand):
    help = "Roll the spam or abuse model back to the previous (or a named) version."

    def add_arguments(self, parser):
        parser.add_argument("--model", choices=KINDS, required=True)
        parser.add_argument("--to", type=int, help="the version to make active (default: the one before)")
        parser.add_argument("--reason", default="rollback from the command line")

    def handle(self, *args, model, to=None, reason, **options):
        try:
            row = actions.do_rollback(model, to, reason=reason)
        except ApiError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"{model}: v{row.version} is active")
