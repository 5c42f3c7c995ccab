"""Fill a demo deployment's analytics with synthetic activity (analytics.generate), then compute it."""

from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from analytics import etl, raw
from analytics.generate import generate


def positive(value):
    number = int(value)
    if number < 1:
        raise ValueError(value)
    return number


class Command(BaseCommand):
    help = "Write synthetic raw events for N users over D days (ending yesterday) and load their aggregates."

    def add_arguments(self, parser):
        parser.add_argument("--users", type=positive, default=50)
        parser.add_argument("--days", type=positive, default=60)
        parser.add_argument("--seed", type=int, default=7, help="the same seed writes the same events (deduplicated)")
        parser.add_argument("--if-empty", action="store_true", help="do nothing when raw events are already there")

    def handle(self, *args, users, days, seed, if_empty=False, **options):
        if not settings.DEMO_DATA_ALLOWED:
            raise CommandError("Synthetic data is refused under these settings (DEMO_DATA_ALLOWED is off).")
        if days > 3660:
            raise CommandError("--days: at most ten years")
        if if_empty and any(raw.raw_dir().glob("date=*")):
            self.stdout.write("raw events already there; nothing generated")
            return
        # Ends on the day before the current UTC day: the days the nightly job would have computed.
        end = timezone.now().date() - timedelta(days=1)
        count, first, last = generate(users=users, days=days, end=end, seed=seed)
        self.stdout.write(f"wrote {count} synthetic events for {first}..{last}")
        written = etl.run(first, last)
        self.stdout.write(self.style.SUCCESS(f"loaded {first}..{last}: {written}"))
