"""The outbox relay: unsent outbox rows go to Kafka, and are marked sent once the broker has them.

A batch is claimed with SELECT ... FOR UPDATE SKIP LOCKED (PostgreSQL, MySQL 8), so relays and the
safety-net task never publish the same rows at the same time. The rows stay locked while they
are published; sent_at is stamped in the same transaction, only for rows whose delivery report
came back without error. A relay killed in between publishes those rows again on restart: delivery
is at least once, and consumers drop the duplicate by event id.

Order per key: rows are published oldest first, and a row is marked sent only if every earlier
row of its key in the batch was delivered, so a failed row is retried with all that follow it.
A relay skips the rows of a key while another relay still holds an older row of that key.
A row the client refuses outright (larger than message.max.bytes) can never be sent: it is
stamped with its error in last_error and left behind, so that it does not block its key.
"""

import json
import logging
import time
from datetime import timedelta

from confluent_kafka import KafkaException, Producer
from django.conf import settings
from django.db import DatabaseError, close_old_connections, connection, transaction
from django.db.models import F
from django.utils import timezone

from streaming import bus
from streaming.events import NOTIFY_CHANNEL, topic_for
from streaming.kafka import ensure_topics, event_and_dead_letter_topics, producer_config
from streaming.models import OutboxEvent

log = logging.getLogger(__name__)


def claim(limit, older_than=None, keep_order=True, **filters):
    """Lock up to `limit` unsent rows, oldest first, skipping rows another transaction holds.
    Call inside a transaction."""
    rows = OutboxEvent.objects.filter(sent_at__isnull=True, **filters)
    if older_than is not None:
        rows = rows.filter(occurred_at__lt=older_than)
    rows = list(rows.order_by("occurred_at", "id").select_for_update(skip_locked=True)[:limit])
    return _without_overtaking(rows) if keep_order else rows


def _without_overtaking(rows):
    """Drop the rows whose key has an older unsent row outside this batch (another relay holds it):
    publishing them now would put them before it."""
    if not rows or connection.vendor == "sqlite":  # one writer at a time: nobody else holds rows
        return rows
    mine = {r.pk for r in rows}
    # Our own rows come back too; filtering them here is cheaper than sending their ids to the server.
    candidates = OutboxEvent.objects.filter(
        sent_at__isnull=True, key__in={r.key for r in rows}, occurred_at__lt=rows[-1].occurred_at
    ).values_list("pk", "key", "occurred_at")
    first_held = {}
    for pk, key, occurred_at in candidates:
        if pk not in mine:
            first_held[key] = min(occurred_at, first_held.get(key, occurred_at))
    if not first_held:
        return rows
    return [r for r in rows if r.key not in first_held or r.occurred_at < first_held[r.key]]


def encode(row):
    return json.dumps(row.envelope(), separators=(",", ":")).encode()


def headers(row):
    return [("event-id", str(row.id)), ("event-type", row.type), ("event-version", str(row.version))]


class Relay:
    def __init__(self, batch_size=None):
        self.batch_size = batch_size or settings.OUTBOX_RELAY_BATCH
        self._producer = None
        self._fatal = False
        self._last_error_log = 0.0

    def producer(self):
        if self._producer is None or self._fatal:
            if self._fatal:
                log.warning("relay: the producer hit a fatal error; starting a new one")
            self._producer = Producer(producer_config(error_cb=self._on_error))
            self._fatal = False
        return self._producer

    def _on_error(self, err):
        if err.fatal():
            self._fatal = True
            log.error("relay: fatal Kafka error: %s", err)
        elif time.monotonic() - self._last_error_log > 10:  # an outage repeats this every few ms
            self._last_error_log = time.monotonic()
            log.warning("relay: Kafka error: %s", err)

    def publish(self, rows):
        """Send rows (oldest first) and wait for the broker. Returns (confirmed ids, refused): the
        rows safe to mark sent, and {id: error} for rows the client refused outright (too large),
        which no retry can fix."""
        failed, refused = {}, {}

        def report(row):
            def on_delivery(err, msg):
                if err is not None:
                    failed[row.pk] = err

            return on_delivery

        producer = self.producer()
        for row in rows:
            while True:
                try:
                    producer.produce(
                        topic_for(row.type),
                        key=row.key.encode(),
                        value=encode(row),
                        headers=headers(row),
                        on_delivery=report(row),
                    )
                    break
                except BufferError:  # the local queue is full: let deliveries drain it
                    producer.poll(0.5)
                except KafkaException as exc:  # refused before sending (too large...): never will be
                    refused[row.pk] = exc.args[0]
                    break
        # message.timeout.ms bounds every delivery, so this returns with every report in.
        remaining = producer.flush(settings.OUTBOX_DELIVERY_TIMEOUT_SECONDS + 10)
        if remaining:
            log.warning("relay: %s records still unconfirmed after flush; they will be sent again", remaining)
        if failed:
            log.warning(
                "relay: %s of %s records not delivered: %s", len(failed), len(rows), next(iter(failed.values()))
            )
        broken_keys = set()
        confirmed = []
        for row in rows:
            if row.pk in refused:
                continue
            if row.pk in failed or remaining or row.key in broken_keys:
                broken_keys.add(row.key)
            else:
                confirmed.append(row.pk)
        return confirmed, refused

    def relay_batch(self, older_than=None):
        """Claim, publish and mark one batch; (claimed, sent)."""
        with transaction.atomic():
            rows = claim(self.batch_size, older_than)
            if not rows:
                return 0, 0
            sent, refused = self.publish(rows)
            now = timezone.now()
            if sent:
                OutboxEvent.objects.filter(pk__in=sent).update(sent_at=now)
            for pk, error in refused.items():
                # Left behind with its error for an operator (admin, last_error), rather than
                # retried forever while it holds back every later event of its key.
                log.error("relay: Kafka refuses outbox event %s for good: %s", pk, error)
                OutboxEvent.objects.filter(pk=pk).update(sent_at=now, attempts=F("attempts") + 1, last_error=str(error))
        return len(rows), len(sent) + len(refused)

    def close(self):
        if self._producer is not None:
            self._producer.flush(settings.OUTBOX_DELIVERY_TIMEOUT_SECONDS)


def redeliver_locally(limit, older_than=None):
    """Without Kafka: run the handlers of unsent rows in this process; (claimed, sent)."""
    with transaction.atomic():
        # In-process delivery never promised order (each commit delivers its own events at once),
        # and an event that has given up must not hold back the retries of its key.
        rows = claim(limit, older_than, keep_order=False, attempts__lt=settings.OUTBOX_LOCAL_MAX_ATTEMPTS)
        sent = sum(bus.deliver_locally(row) for row in rows)
    return len(rows), sent


def publish_stragglers(budget_seconds=40.0):
    """The safety net: rows older than OUTBOX_STRAGGLER_SECONDS that are still unsent get published
    (or, without Kafka, handled in-process). Stops when none are left or the time budget is spent;
    returns how many were sent."""
    older_than = timezone.now() - timedelta(seconds=settings.OUTBOX_STRAGGLER_SECONDS)
    deadline = time.monotonic() + budget_seconds
    relay = Relay() if settings.KAFKA_BOOTSTRAP_SERVERS else None
    total = 0
    try:
        while time.monotonic() < deadline:
            if relay:
                claimed, sent = relay.relay_batch(older_than)
            else:
                claimed, sent = redeliver_locally(settings.OUTBOX_RELAY_BATCH, older_than)
            total += sent
            if not claimed or sent < claimed:
                break  # nothing left, or the bus is failing: the next run tries again
    finally:
        if relay:
            relay.close()
    if total:
        log.info("safety net: sent %s straggling outbox events", total)
    return total


class Wakeup:
    """Waits for the next commit that wrote events (PostgreSQL LISTEN), or a timeout.

    On other databases, or while the listening connection is down, it simply sleeps: the relay
    then finds new rows by polling.
    """

    def __init__(self):
        self._conn = None

    def _connect(self):
        if connection.vendor != "postgresql":
            return None
        if self._conn is None:
            try:
                import psycopg

                # A connection of its own, outside Django's pool: a pooled one would go back to the
                # pool still listening.
                self._conn = psycopg.connect(**connection.get_connection_params(), autocommit=True)
                self._conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
            except Exception:
                log.warning("relay: cannot LISTEN for outbox commits; polling instead", exc_info=True)
                self.close()
                return None
        return self._conn

    def wait(self, timeout, stop):
        if self._conn is None and self._connect() is not None:
            # Just started listening: a commit from before LISTEN sent no wake-up we could see,
            # so look at the outbox once more before sleeping.
            return
        conn = self._conn
        if conn is None:
            stop.wait(timeout)
            return
        deadline = time.monotonic() + timeout
        try:
            # Short slices, so that a stop request is seen promptly.
            while not stop.is_set() and time.monotonic() < deadline:
                slice_ = min(0.5, max(0.0, deadline - time.monotonic()))
                if any(True for _ in conn.notifies(timeout=slice_, stop_after=1)):
                    return
        except Exception:
            log.warning("relay: lost the LISTEN connection; polling until it is back", exc_info=True)
            self.close()
            stop.wait(max(0.0, deadline - time.monotonic()))

    def close(self):
        if self._conn is not None:
            try:
                self._conn.close()
            except Exception:
                log.debug("relay: closing the LISTEN connection failed", exc_info=True)
            self._conn = None


def run(stop, *, batch_size=None, poll_seconds=None, log_every=None):
    """The relay loop of `manage.py relay_outbox`, until `stop` (a threading.Event) is set.

    A batch in progress always finishes (publish, flush, mark) before the loop looks at `stop`.
    A database or Kafka failure is logged and retried with backoff; nothing is lost meanwhile,
    the rows simply stay unsent.
    """
    poll_seconds = settings.OUTBOX_RELAY_POLL_SECONDS if poll_seconds is None else poll_seconds
    log_every = settings.OUTBOX_RELAY_LOG_SECONDS if log_every is None else log_every
    ensure_topics(event_and_dead_letter_topics())
    relay = Relay(batch_size)
    wakeup = Wakeup()
    backoff = 0.0
    progress = _Progress(log_every)
    try:
        while not stop.is_set():
            try:
                claimed, sent = relay.relay_batch()
            except (DatabaseError, KafkaException) as exc:
                log.warning("relay: %s: %s", type(exc).__name__, exc)
                if not connection.in_atomic_block:
                    close_old_connections()  # a broken connection must not fail every later batch
                claimed, sent = 1, 0
            progress.sent(sent)
            progress.maybe_log()  # during an outage too: that is when the lag matters
            if claimed and not sent:  # Kafka (or the database) is away: back off
                backoff = min(max(backoff * 2, 0.5), 30.0)
                log.warning("relay: %s events not sent; retrying in %.1f s", claimed, backoff)
                stop.wait(backoff)
                continue
            # A partial failure (a record the broker refused) is retried with the next batch, and
            # does not slow the other keys down.
            backoff = 0.0
            if claimed < relay.batch_size:
                wakeup.wait(min(poll_seconds, progress.due_in()), stop)
    finally:
        relay.close()
        wakeup.close()


class _Progress:
    """The relay's periodic log line: throughput since the last line, and the outbox lag."""

    def __init__(self, every):
        self.every = every
        self.count = 0
        self.since = time.monotonic()

    def sent(self, n):
        self.count += n

    def due_in(self):
        return max(0.0, self.every - (time.monotonic() - self.since))

    def maybe_log(self):
        elapsed = time.monotonic() - self.since
        if elapsed < self.every:
            return
        from streaming.selectors import outbox_lag

        try:
            lag = outbox_lag()
        except DatabaseError:
            lag = {"unsent": "?", "oldest_unsent_age_seconds": None}
        log.info(
            "relay: sent %s in %.0f s (%.0f/s); unsent %s, oldest unsent %s s",
            self.count,
            elapsed,
            self.count / elapsed,
            lag["unsent"],
            lag["oldest_unsent_age_seconds"],
        )
        self.count, self.since = 0, time.monotonic()
