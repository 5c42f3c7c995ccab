"""Consumer groups against real Kafka and PostgreSQL: offsets committed after the handlers, a
restart resumes there, duplicates are dropped by event id, poison events end in the dead-letter topic."""

import json
import signal
import threading
import uuid

import pytest
from confluent_kafka import Consumer, Producer, TopicPartition
from django.db import transaction

from streaming.bus import TransientError
from streaming.consumer import EventConsumer
from streaming.events import emit, topic_for
from streaming.kafka import group_id
from streaming.models import ProcessedEvent
from streaming.relay import Relay, claim
from streaming.tests.conftest import Output, manage, read_topic, subprocess_env
from streaming.tests.test_relay import drain
from testkit.services import deadline, wait_until

pytestmark = [pytest.mark.services, pytest.mark.django_db]

TYPE = "moderation.reported"


def emit_and_publish(count, **payload):
    with transaction.atomic():
        events = [emit(TYPE, key=f"k{i % 4}", payload={"n": i, **payload}) for i in range(count)]
    drain()
    return events


def consume(group, **kwargs):
    # Every call says how many records it expects (max_messages): waiting longer than the deadline
    # for them is a failure, not an idle consumer. Joining a group can take seconds.
    kwargs.setdefault("idle_seconds", deadline())
    options = {k: kwargs.pop(k) for k in ("max_attempts", "backoff") if k in kwargs}
    return EventConsumer(group, [topic_for(TYPE)], **options).run(threading.Event(), **kwargs)


def test_a_restarted_consumer_resumes_from_its_committed_offset(kafka, recorder):
    recorder.on(TYPE)
    group = f"g-{uuid.uuid4().hex}"
    first = emit_and_publish(10)
    assert consume(group, max_messages=10)["received"] == 10
    second = emit_and_publish(5)

    stats = consume(group, max_messages=5)

    # Nothing before the committed offset was read again. The new records sit in every partition,
    # so a consumer that went back anywhere would have met old records (duplicates) before it could
    # receive all five new ones.
    assert (stats["received"], stats["duplicate"]) == (5, 0)
    assert sorted(recorder.ids()) == sorted(str(e.id) for e in first + second)
    new_ids = {str(e.id) for e in second}
    records = read_topic(topic_for(TYPE))
    assert {p for p, _, value, _ in records if json.loads(value)["id"] in new_ids} == {0, 1, 2}


def test_a_relay_killed_between_publish_and_mark_causes_a_duplicate_that_consumers_drop(kafka, recorder):
    recorder.on(TYPE)
    with transaction.atomic():
        events = [emit(TYPE, key="k", payload={"n": i}) for i in range(3)]

    class Killed(Exception):
        pass

    relay = Relay()
    with pytest.raises(Killed), transaction.atomic():
        confirmed, _ = relay.publish(claim(100))
        assert len(confirmed) == 3  # the broker has them...
        raise Killed  # ...but the relay dies before its mark commits
    drain(relay)  # the next relay publishes the same rows again
    assert len(read_topic(topic_for(TYPE))) == 6

    stats = consume(f"g-{uuid.uuid4().hex}", max_messages=6)

    assert (stats["received"], stats["handled"], stats["duplicate"]) == (6, 3, 3)
    assert recorder.ids() == [str(e.id) for e in events]


def test_a_handler_that_keeps_failing_sends_the_event_to_the_dead_letter_topic(kafka, recorder):
    def picky(envelope):
        if envelope["payload"].get("poison"):
            raise ValueError("cannot digest this one")

    from streaming import bus

    recorder.on(TYPE)
    bus.handles(TYPE)(picky)
    try:
        with transaction.atomic():
            poison = emit(TYPE, key="k", payload={"poison": True})
            fine = emit(TYPE, key="k", payload={"poison": False})
        drain()
        group = f"g-{uuid.uuid4().hex}"

        stats = consume(group, max_attempts=3, backoff=0.01, max_messages=2)

        assert (stats["dead_lettered"], stats["handled"]) == (1, 1)
        assert recorder.ids() == [str(poison.id)] * 3 + [str(fine.id)]
        [(_, key, value, headers)] = read_topic(topic_for(TYPE) + ".dlq")
        assert key == b"k"
        assert str(poison.id) in value.decode()
        assert headers["dlq-error"] == b"ValueError: cannot digest this one"
        assert headers["dlq-attempts"] == b"3"
        assert headers["dlq-group"] == group.encode()
        assert headers["event-id"] == str(poison.id).encode()
        # Its offset was committed with the rest: a restart goes on after it, not back to it.
        with transaction.atomic():
            later = emit(TYPE, key="k", payload={"poison": False})
        drain()
        assert consume(group, max_messages=1)["handled"] == 1
        assert recorder.ids() == [str(poison.id)] * 3 + [str(fine.id), str(later.id)]
        assert not ProcessedEvent.objects.filter(group=group, event_id=poison.id).exists()
    finally:
        bus.unregister(picky)


def test_bytes_that_are_no_event_go_straight_to_the_dead_letter_topic(kafka, recorder):
    recorder.on(TYPE)
    producer = Producer({"bootstrap.servers": kafka.KAFKA_BOOTSTRAP_SERVERS})
    producer.produce(topic_for(TYPE), key=b"k", value=b"{not json")
    assert producer.flush(deadline()) == 0

    stats = consume(f"g-{uuid.uuid4().hex}", max_messages=1)

    assert (stats["received"], stats["dead_lettered"]) == (1, 1)
    [(_, _, value, headers)] = read_topic(topic_for(TYPE) + ".dlq")
    assert value == b"{not json"
    assert headers["dlq-attempts"] == b"0"
    assert recorder.seen == []


def test_a_transient_failure_is_retried_until_it_passes_and_never_dead_lettered(kafka, recorder):
    recorder.on(TYPE, fail=3, error=TransientError)
    [event] = emit_and_publish(1)

    stats = consume(f"g-{uuid.uuid4().hex}", max_attempts=1, backoff=0.01, max_messages=1)

    assert (stats["handled"], stats["dead_lettered"]) == (1, 0)
    assert recorder.ids() == [str(event.id)] * 4
    assert read_topic(topic_for(TYPE) + ".dlq") == []


def test_consume_events_commits_what_it_consumed_and_exits_cleanly_on_sigterm(kafka):
    emit_and_publish(8)
    group = f"g-{uuid.uuid4().hex}"
    topic = topic_for(TYPE)
    proc = manage(
        "consume_events", "--group", group, "--topics", "moderation", "--handlers", "graph", env=subprocess_env()
    )

    def committed_total():
        reader = Consumer({"bootstrap.servers": kafka.KAFKA_BOOTSTRAP_SERVERS, "group.id": group_id(group)})
        try:
            offsets = reader.committed([TopicPartition(topic, p) for p in range(3)], timeout=deadline())
            return sum(max(tp.offset, 0) for tp in offsets)
        finally:
            reader.close()

    out = Output(proc)
    try:
        wait_until(lambda: committed_total() == 8, "the consume_events command to commit all 8 offsets")
        proc.send_signal(signal.SIGTERM)
        output = out.finish()
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, output
    assert "'received': 8" in output
