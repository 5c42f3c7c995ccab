"""The landing job on real Kafka and Spark: events produced to the event topics land as Parquet in
their days' folders, with the exporter's columns, and a replay lands nothing twice."""

import json
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from confluent_kafka import Producer

from analytics import landing, raw
from streaming.events import topic_for
from streaming.kafka import producer_config
from testkit.factories import UserFactory, group_of
from testkit.services import deadline, require_service

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

NINE = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def envelope(type, at, actor, key, **payload):
    return {
        "id": str(uuid.uuid4()),
        "type": type,
        "version": 1,
        "occurred_at": at.isoformat(),
        "actor": actor,
        "key": str(key),
        "payload": payload,
    }


def produce(events):
    producer = Producer(producer_config())
    for event in events:
        producer.produce(topic_for(event["type"]), key=event["key"], value=json.dumps(event).encode())
    assert producer.flush(deadline()) == 0


def landed(data):
    table = raw.read_days(NINE.date() - timedelta(days=1), NINE.date(), data)
    return sorted(table.to_pylist(), key=lambda row: row["event_id"])


@pytest.mark.timeout(900)  # two streaming runs; minutes on a loaded machine
def test_events_from_kafka_land_in_day_folders_once_each(settings, tmp_path):
    require_service("kafka")
    require_service("spark")
    settings.KAFKA_TOPIC_PREFIX = f"analytics-land-{uuid.uuid4().hex[:8]}-"
    owner = UserFactory()
    group = group_of(owner, UserFactory())
    late = NINE - timedelta(days=1)  # an event of the day before, arriving now
    first = [
        envelope("message.created", NINE, owner.pk, group.id, conversation_id=str(group.id), sender_id=owner.pk),
        envelope("user.registered", NINE + timedelta(seconds=5), 7, 7, user_id=7, username="seven"),
        envelope("message.created", late, 7, "no-such-conversation", conversation_id="no-such-conversation"),
    ]
    produce(first)
    landing.run(available_now=True, data=tmp_path)  # ends by itself once it has read what Kafka holds

    rows = landed(tmp_path)
    assert {row["event_id"] for row in rows} == {e["id"] for e in first}
    by_type = {(row["type"], row["occurred_at"]): row for row in rows}
    message = by_type[("message.created", NINE)]
    assert (message["actor_id"], message["conversation_id"], message["kind"]) == (owner.pk, str(group.id), "group")
    assert json.loads(message["payload"])["sender_id"] == owner.pk
    assert by_type[("user.registered", NINE + timedelta(seconds=5))]["user_id"] == 7
    assert by_type[("message.created", late)]["kind"] is None
    folders = sorted(p.name for p in raw.raw_dir(tmp_path).iterdir() if p.name.startswith("date="))
    assert folders == [f"date={late.date().isoformat()}", f"date={NINE.date().isoformat()}"]

    # At least once: the same events again, and one new one. Nothing lands twice.
    new = envelope("message.created", NINE + timedelta(seconds=30), 7, "x", conversation_id="x")
    produce([*first, new])
    landing.run(available_now=True, data=tmp_path)
    rows = landed(tmp_path)
    assert Counter(row["event_id"] for row in rows) == Counter({e["id"]: 1 for e in [*first, new]})
