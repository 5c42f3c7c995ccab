"""Kafka clients configured from settings, and the topics they use.

The producer is idempotent with acks=all: a retried send never duplicates or reorders records
within a partition. A record the broker has not confirmed within OUTBOX_DELIVERY_TIMEOUT_SECONDS
fails, so a flush always ends and an outage shows as failed deliveries, not a hang.
"""

import logging

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient, NewTopic
from django.conf import settings

from streaming.events import DEAD_LETTER_SUFFIX, all_topics

log = logging.getLogger(__name__)


def _common():
    return {"bootstrap.servers": settings.KAFKA_BOOTSTRAP_SERVERS, "client.id": "chatsite"}


def producer_config(**overrides):
    return {
        **_common(),
        "enable.idempotence": True,
        "acks": "all",
        "linger.ms": 5,
        "compression.type": "lz4",
        "message.timeout.ms": int(settings.OUTBOX_DELIVERY_TIMEOUT_SECONDS * 1000),
        **overrides,
    }


# How long the group waits for a member that stopped heartbeating before it hands the member's
# partitions to the others. librdkafka heartbeats from its own thread, so a long handler does not
# count (that is max.poll.interval.ms). Kafka's default, 45 s, is how long a kill -9'd consumer's
# partitions used to stall; a restart with the same instance id (static membership) does not wait
# at all, and this bounds the wait for a member that does not come back (scale-down, a new pod name).
SESSION_TIMEOUT_MS = 10_000
HEARTBEAT_INTERVAL_MS = 3_000  # a third of the session: two heartbeats may be lost before it ends


def group_id(group):
    """The Kafka group id of a consumer group: KAFKA_TOPIC_PREFIX in front, as for topics, so two
    deployments sharing a Kafka cluster never share (and split) a group."""
    return settings.KAFKA_TOPIC_PREFIX + group


def consumer_config(group, *, instance_id=None, **overrides):
    """Config of a member of consumer group `group` (the name without prefix).

    With `instance_id` the member is static (KIP-345): a process that restarts with the same id
    takes its partitions back at once, with no rebalance and no wait for its old session to end.
    Each live process of a group needs its own id (the pod name); two with one id fence each other.
    """
    config = {
        **_common(),
        "group.id": group_id(group),
        "enable.auto.commit": False,
        # A new group starts from the beginning: an event published before the group existed is
        # still an event it must see.
        "auto.offset.reset": "earliest",
        "enable.partition.eof": False,
        "session.timeout.ms": SESSION_TIMEOUT_MS,
        "heartbeat.interval.ms": HEARTBEAT_INTERVAL_MS,
    }
    if instance_id:
        config["group.instance.id"] = instance_id
    return {**config, **overrides}


def event_and_dead_letter_topics():
    topics = all_topics()
    return topics + [t + DEAD_LETTER_SUFFIX for t in topics]


def ensure_topics(topics, timeout=15.0):
    """Create the topics that do not exist yet, with KAFKA_TOPIC_PARTITIONS partitions.

    Brokers often refuse auto-creation in production; a missing topic would stall the relay.
    Failing here (no rights to create) is logged, not fatal: the topics may be managed elsewhere.
    """
    admin = AdminClient(_common())
    wanted = [
        NewTopic(t, num_partitions=settings.KAFKA_TOPIC_PARTITIONS, replication_factor=settings.KAFKA_TOPIC_REPLICATION)
        for t in topics
    ]
    for topic, future in admin.create_topics(wanted, request_timeout=timeout).items():
        try:
            future.result(timeout)
        except KafkaException as exc:
            if exc.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
                log.warning("could not create topic %s: %s", topic, exc)
        except Exception as exc:  # a timeout while the broker is away: the relay retries anyway
            log.warning("could not create topic %s: %s", topic, exc)
