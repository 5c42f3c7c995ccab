"""The streaming job on real Kafka and Spark: per-minute counts and sockets online appear, and
neither a redelivered event nor a re-run micro-batch is counted twice."""

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from confluent_kafka import Producer

from analytics import stream
from analytics.backends.spark import session
from analytics.models import Checkpoint, MinuteCount
from streaming.events import topic_for
from streaming.kafka import producer_config
from testkit.services import deadline, require_service

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

NINE = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def envelope(at, sender):
    return {
        "id": str(uuid.uuid4()),
        "type": "message.created",
        "version": 1,
        "occurred_at": at.isoformat(),
        "actor": sender,
        "key": "conv",
        "payload": {"sender_id": sender},
    }


def sample(at, sockets, users):
    return {
        "id": str(uuid.uuid4()),
        "type": "presence.sampled",
        "version": 1,
        "occurred_at": at.isoformat(),
        "actor": None,
        "key": "presence",
        "payload": {"sockets": sockets, "users": users},
    }


def produce(events):
    producer = Producer(producer_config())
    for event in events:
        producer.produce(topic_for(event["type"]), key=event["key"], value=json.dumps(event).encode())
    assert producer.flush(deadline()) == 0


def counts():
    return {(row.minute, row.metric): row.value for row in MinuteCount.objects.all()}


# Two streaming runs and a Kafka source starting up: seconds on a quiet machine, minutes on a
# loaded one; the suite's 300 s cap is for tests that wait on nothing this heavy.
@pytest.mark.timeout(900)
def test_minute_counts_from_kafka_count_each_event_once(settings, tmp_path):
    require_service("kafka")
    require_service("spark")
    settings.KAFKA_TOPIC_PREFIX = f"analytics-stream-{uuid.uuid4().hex[:8]}-"
    settings.ANALYTICS_DATA_DIR = str(tmp_path)
    first = [
        envelope(NINE + timedelta(seconds=10), 1),
        envelope(NINE + timedelta(seconds=20), 2),
        envelope(NINE + timedelta(seconds=30), 1),
        envelope(NINE + timedelta(seconds=70), 3),
        sample(NINE + timedelta(seconds=15), 5, 3),
        sample(NINE + timedelta(seconds=45), 7, 4),  # the minute's highest
        sample(NINE + timedelta(seconds=80), 2, 2),
    ]
    produce(first)
    stream.run(available_now=True)  # ends by itself once it has read what Kafka holds
    nine_one = NINE + timedelta(minutes=1)
    sockets = {(NINE, "sockets"): 7, (NINE, "socket_users"): 4, (nine_one, "sockets"): 2, (nine_one, "socket_users"): 2}
    assert counts() == {
        (NINE, "messages"): 3,
        (NINE, "senders"): 2,
        (nine_one, "messages"): 1,
        (nine_one, "senders"): 1,
        **sockets,
    }

    # Kafka delivers at least once: the same events again, and one new one.
    produce([*first, envelope(NINE + timedelta(seconds=75), 1)])
    stream.run(available_now=True)  # ends by itself once it has read what Kafka holds
    assert counts() == {
        (NINE, "messages"): 3,
        (NINE, "senders"): 2,
        (nine_one, "messages"): 2,
        (nine_one, "senders"): 2,
        **sockets,
    }

    # Spark runs a micro-batch again after a crash, under the same batch id: it is skipped.
    last = Checkpoint.objects.get(name=stream.checkpoint_name()).position["batch_id"]
    replayed = session().sql(
        "SELECT named_struct('start', timestamp'2026-03-02 09:00:00') AS w, 99L AS messages, 99L AS senders,"
        " CAST(NULL AS BIGINT) AS sockets, CAST(NULL AS BIGINT) AS socket_users"
    )
    assert stream.write_batch(replayed, last) is False
    assert counts()[(NINE, "messages")] == 3
    assert stream.write_batch(replayed, last + 1) is True  # a new batch id is written
    assert counts()[(NINE, "messages")] == 99
