"""Train the learned people-you-may-know ranker on the graph's history (graph.ranker)."""

import json

from django.core.management.base import BaseCommand, CommandError

from graph import batch


class Command(BaseCommand):
    help = (
        "Train the suggestions ranker (newest friendships held out as positives) and store it (LightGBM's text format)."
    )

    def handle(self, *args, **options):
        meta = batch.train()
        if meta is None:
            raise CommandError("Too little history to learn from: the linear walk stays in use.")
        if not meta["promoted"]:
            self.stdout.write(
                self.style.WARNING(
                    f"Not stored: the new ranker's hit@10 on users kept out of training ({meta['hit@10']:.3f}) "
                    f"is below the linear walk's ({meta['walk_hit@10']:.3f}); what ranked before still ranks. "
                    f"{json.dumps(meta)}"
                )
            )
            return
        self.stdout.write(self.style.SUCCESS(f"Trained and stored the suggestions ranker: {json.dumps(meta)}"))
