"""Run the streaming job: Kafka's message events -> per-minute counts (analytics.stream)."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from analytics import stream


class Command(BaseCommand):
    help = "Keep per-minute message and sender counts from Kafka (Spark Structured Streaming)."

    def add_arguments(self, parser):
        parser.add_argument("--available-now", action="store_true", help="process what Kafka holds, then stop")
        parser.add_argument("--trigger-seconds", type=int, default=5, help="micro-batch interval")

    def handle(self, *args, available_now=False, trigger_seconds=5, **options):
        if not settings.KAFKA_BOOTSTRAP_SERVERS:
            raise CommandError("The streaming job reads Kafka: set KAFKA_BOOTSTRAP_SERVERS.")
        if trigger_seconds < 1:
            raise CommandError("--trigger-seconds: at least 1")
        self.stdout.write(f"streaming {stream.QUERY} from Kafka; checkpoints in {stream.checkpoint_dir()}")
        stream.run(available_now=available_now, trigger_seconds=trigger_seconds)
