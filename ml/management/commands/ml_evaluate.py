"""Evaluate the active model on a labelled CSV (text,label) and print JSON."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from chatsite.api_errors import ApiError
from ml import actions, registry, selectors, training
from ml.models import KINDS
from ml.pipeline import LinearScorer


class Command(BaseCommand):
    help = "Print n, precision, recall, f1, roc_auc and the threshold of the active model on a text,label CSV."

    def add_arguments(self, parser):
        parser.add_argument("--data", type=Path, required=True)
        parser.add_argument("--model", choices=KINDS, required=True)

    def handle(self, *args, data, model, **options):
        active = selectors.active_version(model)
        if active is None:
            raise CommandError(f"No active {model} model: run ml_bootstrap or ml_train first.")
        try:
            rows = actions.parse_labels_csv(data.read_text(encoding="utf-8"))
            scorer = LinearScorer(registry.load_pipeline(active))
        except (OSError, ApiError, registry.ArtefactError) as exc:
            raise CommandError(str(exc)) from exc
        if not rows:
            raise CommandError("The file has no rows.")
        texts, labels = zip(*rows, strict=True)
        result = training.metrics(labels, training.scores_of(scorer, texts))
        result["version"] = active.version
        self.stdout.write(json.dumps(result, indent=2))
