"""A Kafka consumer group that runs the bus handlers: what `manage.py consume_events` runs.

- Offsets are committed by hand, after the handlers of every message up to them succeeded (or the
  message went to the dead-letter topic). A restart resumes from the last committed offset.
- Each event is handled once per group: `bus.handle_once` records it in ProcessedEvent in the
  handlers' transaction, so a redelivered event (at least once) is skipped.
- The Kafka group id is the group's name with KAFKA_TOPIC_PREFIX in front (streaming.kafka.group_id);
  the dedupe records and the dead-letter headers keep the name without it.
- With an `instance_id` the process is a static member of its group: restarted with the same id
  (the pod name), even after a kill -9, it takes its partitions back at once instead of stalling
  them until its old session times out. See streaming.kafka.consumer_config.
- A poison event (its handlers keep failing) is retried EVENT_HANDLER_MAX_ATTEMPTS times with
  exponential backoff, then published to `<topic>.dlq` with the error in the headers, and its
  offset committed. A transient failure (database or a service away, see bus.is_transient) is
  never dead-lettered: the consumer rewinds and tries again until it works.
"""

import json
import logging
import time

from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition
from django.conf import settings
from django.db import close_old_connections, connection
from django.utils import timezone

from streaming import bus
from streaming.events import DEAD_LETTER_SUFFIX
from streaming.kafka import consumer_config, ensure_topics, producer_config

log = logging.getLogger(__name__)

ERROR_HEADER_MAX = 2000


def _drop_broken_connections():
    # A connection the failure broke (database restarted) must not fail every later event; inside
    # an outer transaction (tests) it is not ours to close.
    if not connection.in_atomic_block:
        close_old_connections()


class DeadLetterFailed(RuntimeError):
    """The dead-letter topic refused an event: its offset must not be committed."""


class _Interrupted(Exception):
    """Handling stopped before the event was done (stop requested, or a transient failure)."""


class EventConsumer:
    def __init__(
        self,
        group,
        topics,
        *,
        modules=None,
        instance_id=None,
        max_attempts=None,
        backoff=None,
        batch_size=100,
        **config,
    ):
        self.group = group
        self.instance_id = instance_id
        self.topics = list(topics)
        self.modules = modules  # only the handlers defined under these module prefixes; None: all
        self.max_attempts = max_attempts or settings.EVENT_HANDLER_MAX_ATTEMPTS
        self.backoff = settings.EVENT_HANDLER_RETRY_BACKOFF if backoff is None else backoff
        self.batch_size = batch_size
        self.config = config
        self.stats = {"received": 0, "handled": 0, "duplicate": 0, "ignored": 0, "dead_lettered": 0}
        self._consumer = None
        self._producer = None
        self._last_error_log = 0.0

    def _dead_letter_producer(self):
        if self._producer is None:
            self._producer = Producer(producer_config())
        return self._producer

    def run(self, stop, *, max_messages=None, idle_seconds=None, ensure=True, log_every=60.0):
        """Consume until `stop` is set (or `max_messages` were received, or nothing came for
        `idle_seconds`); returns the counts of what happened."""
        if ensure:
            ensure_topics(self.topics + [t + DEAD_LETTER_SUFFIX for t in self.topics])
        self._consumer = Consumer(consumer_config(self.group, instance_id=self.instance_id, **self.config))
        last_message = last_log = time.monotonic()

        def assigned(consumer, partitions):
            # Idle time counts from when the group gave this consumer its partitions: joining can
            # take seconds on a fresh broker (the offsets topic is made on first use).
            nonlocal last_message
            last_message = time.monotonic()

        member = f"static member {self.instance_id}" if self.instance_id else "dynamic member"
        log.info("consumer %s: joining as %s, topics %s", self.group, member, ", ".join(self.topics))
        self._consumer.subscribe(self.topics, on_assign=assigned)
        transient_backoff = 0.0
        try:
            while not stop.is_set():
                if time.monotonic() - last_log >= log_every:
                    last_log = time.monotonic()
                    log.info("consumer %s: %s", self.group, self.stats)
                if max_messages is not None and self.stats["received"] >= max_messages:
                    break
                wanted = self.batch_size
                if max_messages is not None:
                    wanted = min(wanted, max_messages - self.stats["received"])
                messages = [m for m in self._next_batch(wanted) if self._usable(m)]
                if not messages:
                    if idle_seconds is not None and time.monotonic() - last_message > idle_seconds:
                        break
                    continue
                last_message = time.monotonic()
                if self._process_batch(messages, stop):
                    transient_backoff = 0.0
                else:
                    transient_backoff = min(max(transient_backoff * 2, self.backoff or 0.1), 30.0)
                    stop.wait(transient_backoff)
        finally:
            # A dynamic member leaves the group now, so its partitions move on at once. A static one
            # stays a member until its session ends: the same process, restarted, takes them back.
            self._consumer.close()
            if self._producer is not None:
                self._producer.flush(30)
        return self.stats

    def _next_batch(self, wanted):
        # consume() alone waits for a full batch or its whole timeout, which is latency for nothing:
        # wait for one record, then take whatever else has already arrived.
        first = self._consumer.poll(1.0)
        if first is None:
            return []
        return [first, *self._consumer.consume(num_messages=wanted - 1, timeout=0)] if wanted > 1 else [first]

    def _usable(self, msg):
        err = msg.error()
        if err is None:
            return True
        if err.fatal():
            raise KafkaException(err)
        # While the broker is away this repeats every few milliseconds: say it now and then.
        if err.code() != KafkaError._PARTITION_EOF and time.monotonic() - self._last_error_log > 10:
            self._last_error_log = time.monotonic()
            log.warning("consumer %s: %s", self.group, err)
        return False

    def _process_batch(self, messages, stop):
        """Handle messages in order and commit what is done. False when a transient failure (or a
        stop) interrupted the batch: the rest is rewound, to be fetched again."""
        done = {}
        interrupted = None
        for i, msg in enumerate(messages):
            try:
                self._process(msg, stop)
            except _Interrupted:
                interrupted = i
                break
            self.stats["received"] += 1
            done[(msg.topic(), msg.partition())] = msg.offset() + 1
        if done:
            self._commit(done)
        if interrupted is None:
            return True
        rewind = {}
        for msg in messages[interrupted:]:
            tp = (msg.topic(), msg.partition())
            rewind[tp] = min(msg.offset(), rewind.get(tp, msg.offset()))
        for (topic, partition), offset in rewind.items():
            try:
                self._consumer.seek(TopicPartition(topic, partition, offset))
            except KafkaException as exc:  # the partition moved to another member meanwhile
                log.info("consumer %s: could not rewind %s[%s]: %s", self.group, topic, partition, exc)
        return False

    def _commit(self, done):
        offsets = [TopicPartition(topic, partition, offset) for (topic, partition), offset in done.items()]
        try:
            self._consumer.commit(offsets=offsets, asynchronous=False)
        except KafkaException as exc:
            # A rebalance took the partitions: the new owner gets these events again and skips
            # the ones this group already handled.
            log.warning("consumer %s: commit failed: %s", self.group, exc)

    def _process(self, msg, stop):
        try:
            envelope = json.loads(msg.value())
            if not isinstance(envelope, dict) or not envelope.get("id") or not envelope.get("type"):
                raise ValueError("not an event envelope (id and type are required)")
        except ValueError as exc:  # retrying cannot fix the bytes
            self._dead_letter(msg, exc, attempts=0)
            return
        for attempt in range(1, self.max_attempts + 1):
            try:
                outcome = bus.handle_once(self.group, envelope, self.modules)
            except Exception as exc:
                _drop_broken_connections()
                if bus.is_transient(exc):
                    log.warning(
                        "consumer %s: transient failure on %s %s: %s", self.group, envelope["type"], envelope["id"], exc
                    )
                    raise _Interrupted from exc
                log.warning(
                    "consumer %s: handler failed on %s %s (attempt %s of %s)",
                    self.group,
                    envelope["type"],
                    envelope["id"],
                    attempt,
                    self.max_attempts,
                    exc_info=True,
                )
                if attempt == self.max_attempts:
                    self._dead_letter(msg, exc, attempts=attempt)
                    return
                if stop.wait(min(self.backoff * 2 ** (attempt - 1), 30.0)):
                    raise _Interrupted from exc
                continue
            self.stats[outcome] += 1
            return

    def _dead_letter(self, msg, exc, attempts):
        error = f"{type(exc).__name__}: {exc}"[:ERROR_HEADER_MAX]
        headers = [
            *(msg.headers() or []),
            ("dlq-error", error),
            ("dlq-attempts", str(attempts)),
            ("dlq-group", self.group),
            ("dlq-source", f"{msg.topic()}/{msg.partition()}/{msg.offset()}"),
            ("dlq-failed-at", timezone.now().isoformat()),
        ]
        failures = []
        producer = self._dead_letter_producer()
        producer.produce(
            msg.topic() + DEAD_LETTER_SUFFIX,
            key=msg.key(),
            value=msg.value(),
            headers=headers,
            on_delivery=lambda err, _msg: err and failures.append(err),
        )
        producer.flush(settings.OUTBOX_DELIVERY_TIMEOUT_SECONDS + 10)
        if failures or len(producer):
            raise DeadLetterFailed(f"could not dead-letter {msg.topic()}/{msg.partition()}/{msg.offset()}: {failures}")
        self.stats["dead_lettered"] += 1
        log.error(
            "consumer %s: sent %s/%s/%s to %s after %s attempts: %s",
            self.group,
            msg.topic(),
            msg.partition(),
            msg.offset(),
            msg.topic() + DEAD_LETTER_SUFFIX,
            attempts,
            error,
        )
