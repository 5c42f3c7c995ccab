"""The `notifications` consumer group on real Kafka: a message's event, relayed from the outbox
and consumed as `consume_events --group notifications --handlers notifications` does, is planned
once; the same record delivered again, or the event replayed under a new id, plans nothing."""

import json
import threading
import uuid

import pytest
from confluent_kafka import Producer

from chats import actions as chat_actions
from notifications import actions
from notifications.models import Notification
from streaming.consumer import EventConsumer
from streaming.events import handled_topics, topic_for
from streaming.kafka import producer_config
from streaming.models import OutboxEvent
from streaming.relay import Relay, encode, headers
from testkit.factories import send
from testkit.services import deadline

pytestmark = [pytest.mark.services, pytest.mark.django_db]


def relay_all():
    relay = Relay(batch_size=100)
    while relay.relay_batch()[0]:
        pass


def consume(group, count):
    """Run the group's consumer until it received `count` records (waiting longer is a failure)."""
    consumer = EventConsumer(group, handled_topics(["notifications"]), modules=["notifications"])
    stats = consumer.run(threading.Event(), max_messages=count, idle_seconds=deadline())
    assert stats["received"] == count, stats
    return stats


def produce(*records):
    producer = Producer(producer_config())
    for topic, key, value, head in records:
        producer.produce(topic, key=key, value=value, headers=head)
    assert producer.flush(deadline()) == 0, "Kafka did not take the records"


def test_a_message_event_on_kafka_is_planned_once_and_a_redelivery_plans_nothing(kafka, alice, bob):
    actions.do_register_device(bob, "fcm", token="android-kafka-1")
    message = send(alice, chat_actions.do_open_direct(alice, bob)[0], "over Kafka")
    relay_all()
    group = f"notifications-{uuid.uuid4().hex[:8]}"
    topics = set(handled_topics(["notifications"]))
    relayed = [row for row in OutboxEvent.objects.all() if topic_for(row.type) in topics]
    consume(group, len(relayed))
    planned = Notification.objects.filter(message_id=message.id)
    assert list(planned.values_list("user__username", "channel")) == [("bob", "push")]

    created = OutboxEvent.objects.get(type="message.created")
    replayed = {**created.envelope(), "id": str(uuid.uuid4())}  # a replay that got a new id
    produce(
        (topic_for(created.type), created.key.encode(), encode(created), headers(created)),
        (topic_for(created.type), created.key.encode(), json.dumps(replayed).encode(), None),
    )
    stats = consume(group, 2)
    assert (stats["duplicate"], stats["handled"]) == (1, 1)  # the same id is dropped; the new one runs
    assert planned.count() == 1  # and plans nothing new: one notification per message and device
