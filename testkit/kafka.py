"""Kafka for tests of every app: `kafka` gives a test its own topics (a unique KAFKA_TOPIC_PREFIX)
on the real broker, made before and deleted after; skipped locally, a failure under CI=true
(testkit.services.require_service). Tests using it are marked `services`."""

import contextlib
import threading
import time
import uuid

import pytest
from confluent_kafka import KafkaError, KafkaException
from django.conf import settings

from testkit.services import deadline


@pytest.fixture
def kafka(settings):
    """Kafka with topics of this test's own (a unique KAFKA_TOPIC_PREFIX), deleted afterwards."""
    from testkit.services import require_service

    require_service("kafka")
    require_service("postgres")
    from confluent_kafka.admin import AdminClient

    from streaming.kafka import ensure_topics, event_and_dead_letter_topics

    settings.KAFKA_TOPIC_PREFIX = f"t{uuid.uuid4().hex[:10]}."
    settings.KAFKA_TOPIC_PARTITIONS = 3
    # The broker may confirm slowly on a loaded machine: a relay batch waits as long as a test would.
    settings.OUTBOX_DELIVERY_TIMEOUT_SECONDS = max(settings.OUTBOX_DELIVERY_TIMEOUT_SECONDS, deadline())
    topics = event_and_dead_letter_topics()
    ensure_topics(topics)
    # A topic just made has no partition leader for a moment; a test that reads it then fails
    # with NOT_LEADER_FOR_PARTITION or LEADER_NOT_AVAILABLE.
    wait_for_leaders(topics)
    yield settings
    admin = AdminClient({"bootstrap.servers": settings.KAFKA_BOOTSTRAP_SERVERS})
    for future in admin.delete_topics(topics, operation_timeout=deadline()).values():
        # A topic may be gone already (or the broker slow to answer): it is only clean-up.
        with contextlib.suppress(Exception):
            future.result(deadline())


# Errors of a topic whose metadata has not settled yet (just created, or its leader moving).
SETTLING = {
    KafkaError.NOT_LEADER_FOR_PARTITION,
    KafkaError.LEADER_NOT_AVAILABLE,
    KafkaError.UNKNOWN_TOPIC_OR_PART,
    KafkaError._UNKNOWN_PARTITION,
    KafkaError._UNKNOWN_TOPIC,
}


def _deadline():
    return time.monotonic() + settings.TEST_DEADLINE_SECONDS


def _left(deadline):
    return max(deadline - time.monotonic(), 0.1)


def wait_for_leaders(topics, client=None, deadline=None):
    """Wait until every partition of every topic has a leader; returns {topic: sorted partitions}.
    Fails after TEST_DEADLINE_SECONDS."""
    from confluent_kafka import Consumer

    deadline = deadline or _deadline()
    own = client is None
    if own:
        client = Consumer({"bootstrap.servers": settings.KAFKA_BOOTSTRAP_SERVERS, "group.id": "metadata"})
    pause = threading.Event()  # never set: the interval between metadata requests
    try:
        while True:
            missing = []
            found = {}
            for topic in topics:
                try:
                    meta = client.list_topics(topic, timeout=_left(deadline)).topics.get(topic)
                except KafkaException as exc:
                    missing.append(f"{topic}: {exc}")
                    continue
                if meta is None or meta.error is not None or not meta.partitions:
                    missing.append(f"{topic}: {meta.error if meta is not None else 'no metadata'}")
                    continue
                leaderless = [p for p, part in meta.partitions.items() if part.leader < 0 or part.error is not None]
                if leaderless:
                    missing.append(f"{topic}: no leader for partitions {leaderless}")
                    continue
                found[topic] = sorted(meta.partitions)
            if not missing:
                return found
            if time.monotonic() > deadline:
                raise AssertionError(f"topic metadata did not settle in {settings.TEST_DEADLINE_SECONDS} s: {missing}")
            pause.wait(0.1)
    finally:
        if own:
            client.close()
