"""Run the landing job: Kafka's events -> raw Parquet day folders (analytics.landing)."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from analytics import landing


class Command(BaseCommand):
    help = "Land every event from Kafka as Parquet under data/raw/events (Spark Structured Streaming)."

    def add_arguments(self, parser):
        parser.add_argument("--available-now", action="store_true", help="land what Kafka holds, then stop")
        parser.add_argument("--trigger-seconds", type=int, default=30, help="micro-batch interval")

    def handle(self, *args, available_now=False, trigger_seconds=30, **options):
        if not settings.KAFKA_BOOTSTRAP_SERVERS:
            raise CommandError("The landing job reads Kafka: set KAFKA_BOOTSTRAP_SERVERS (or use the outbox exporter).")
        if trigger_seconds < 1:
            raise CommandError("--trigger-seconds: at least 1")
        self.stdout.write(f"landing raw events from Kafka; checkpoints in {landing.checkpoint_dir()}")
        landing.run(available_now=available_now, trigger_seconds=trigger_seconds)
