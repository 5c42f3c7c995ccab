"""Publish the outbox to Kafka until SIGTERM or SIGINT (the current batch finishes first).

Without KAFKA_BOOTSTRAP_SERVERS, handlers run in-process after commit; this command then only
retries the events whose in-process handlers failed (the same job as the safety-net task).
"""

import logging

from django.conf import settings
from django.core.management.base import BaseCommand
from tqdm import tqdm

from streaming import relay
from streaming.management.commands._heartbeat import add_heartbeat_argument, with_heartbeat
from streaming.management.commands._signals import stop_on_signals
from streaming.selectors import outbox_lag

log = logging.getLogger("streaming.relay")


class Command(BaseCommand):
    help = "Publish outbox events to Kafka (long-running; --once drains the outbox and exits)."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=settings.OUTBOX_RELAY_BATCH)
        parser.add_argument(
            "--poll-seconds",
            type=float,
            default=settings.OUTBOX_RELAY_POLL_SECONDS,
            help="longest wait between looks at the outbox when nothing wakes the relay",
        )
        parser.add_argument(
            "--log-every",
            type=float,
            default=settings.OUTBOX_RELAY_LOG_SECONDS,
            help="seconds between progress and lag log lines",
        )
        parser.add_argument("--once", action="store_true", help="publish what is unsent now, then exit")
        add_heartbeat_argument(parser)

    def handle(self, *args, batch_size, poll_seconds, log_every, once, heartbeat_file, **options):
        stop = with_heartbeat(stop_on_signals(), heartbeat_file)
        if not settings.KAFKA_BOOTSTRAP_SERVERS:
            self._embedded(stop, once)
        elif once:
            self._drain(stop, batch_size)
        else:
            log.info("relay: publishing to %s", settings.KAFKA_BOOTSTRAP_SERVERS)
            relay.run(stop, batch_size=batch_size, poll_seconds=poll_seconds, log_every=log_every)
        log.info("relay: stopped")

    def _drain(self, stop, batch_size):
        publisher = relay.Relay(batch_size)
        try:
            with tqdm(total=outbox_lag()["unsent"], unit="event", desc="relay") as bar:
                while not stop.is_set():
                    claimed, sent = publisher.relay_batch()
                    bar.update(sent)
                    if not claimed:
                        break
                    if sent < claimed:
                        raise SystemExit(f"relay: {claimed - sent} events not delivered; is Kafka up?")
        finally:
            publisher.close()

    def _embedded(self, stop, once):
        log.info("relay: no KAFKA_BOOTSTRAP_SERVERS; retrying failed in-process deliveries only")
        while True:
            relay.publish_stragglers()
            if once or stop.wait(settings.OUTBOX_STRAGGLER_SECONDS):
                return
