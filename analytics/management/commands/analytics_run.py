"""Run the batch job on demand: export the outbox, then compute and load a span of days."""

from datetime import date, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from tqdm import tqdm

from analytics import etl, exporter
from analytics.backends import ENGINES, get_engine


def parse_day(value):
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"not a date (YYYY-MM-DD): {value!r}") from None


class Command(BaseCommand):
    help = "Compute the analytics aggregates of a span of days (default: yesterday) and load them."

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="first", help="first day, YYYY-MM-DD (default: --to)")
        parser.add_argument("--to", dest="last", help="last day, YYYY-MM-DD (default: yesterday, UTC)")
        parser.add_argument("--engine", choices=ENGINES, help="override ANALYTICS_ENGINE")
        parser.add_argument("--no-export", action="store_true", help="skip the outbox export before the run")

    def handle(self, *args, first=None, last=None, engine=None, no_export=False, **options):
        last = parse_day(last) if last else timezone.now().date() - timedelta(days=1)
        first = parse_day(first) if first else last
        if first > last:
            raise CommandError("--from comes after --to")
        if not no_export:
            self.stdout.write(f"exported {exporter.export()} outbox events")
        engine = get_engine(engine)
        with tqdm(total=len(etl.STEPS), desc=f"analytics {engine.name} {first}..{last}", file=self.stderr) as bar:

            def step(name):
                bar.set_postfix_str(name)
                bar.update(1)

            written = etl.run(first, last, engine=engine, step=step)
        self.stdout.write(self.style.SUCCESS(f"loaded {first}..{last}: {written}"))
