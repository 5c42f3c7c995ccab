"""Train a candidate from bootstrap data plus moderators' decisions; promote it if it passes the gate."""

import json

from django.core.management.base import BaseCommand, CommandError

from chatsite.api_errors import ApiError
from ml import actions, datasets
from ml.models import KINDS


class Command(BaseCommand):
    help = "Train a spam or abuse model, evaluate it beside the active one, promote it if it is at least as good."

    def add_arguments(self, parser):
        parser.add_argument("--model", choices=KINDS, required=True)
        parser.add_argument("--no-promote", action="store_true", help="register the candidate only")

    def handle(self, *args, model, no_promote=False, **options):
        try:
            row, promoted, report = actions.do_train(model, promote=not no_promote)
        except (datasets.DatasetMissing, ApiError) as exc:
            raise CommandError(str(exc)) from exc
        summary = {
            "model": model,
            "version": row.version,
            "status": row.status,
            "promoted": promoted,
            "gate": report["gate"],
            "candidate": report["candidate"],
            "active": report["active"],
        }
        self.stdout.write(json.dumps(summary, indent=2))
