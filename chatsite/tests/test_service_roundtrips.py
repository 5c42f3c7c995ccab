"""One real round trip through each service, using the project's own settings."""

import uuid

import pytest
from django.conf import settings
from django.db import connection

from testkit.services import require_service

pytestmark = pytest.mark.services


@pytest.mark.django_db
def test_postgresql_answers_a_query_through_the_orm_connection():
    require_service("postgres")
    assert connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        cursor.execute("SELECT %s::int + 1, current_setting('server_version_num')::int", [41])
        answer, version = cursor.fetchone()
    assert answer == 42
    assert version >= 150000


def test_redis_publish_reaches_a_subscriber():
    require_service("redis")
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL)
    pubsub = client.pubsub()
    channel = f"test-{uuid.uuid4().hex}"
    pubsub.subscribe(channel)
    assert pubsub.get_message(timeout=5)["type"] == "subscribe"
    assert client.publish(channel, "hello") == 1
    message = pubsub.get_message(timeout=5)
    assert message["data"] == b"hello"
    pubsub.close()
    client.close()


def test_kafka_message_produced_is_consumed():
    require_service("kafka")
    from confluent_kafka import Consumer, Producer

    topic = f"test-roundtrip-{uuid.uuid4().hex[:8]}"
    producer = Producer({"bootstrap.servers": settings.KAFKA_BOOTSTRAP_SERVERS})
    producer.produce(topic, key=b"k", value=b"payload")
    assert producer.flush(30) == 0
    consumer = Consumer(
        {
            "bootstrap.servers": settings.KAFKA_BOOTSTRAP_SERVERS,
            "group.id": f"test-{uuid.uuid4().hex}",
            "auto.offset.reset": "earliest",
        }
    )
    consumer.subscribe([topic])
    try:
        received = None
        for _ in range(60):
            msg = consumer.poll(1.0)
            if msg is not None and not msg.error():
                received = msg
                break
        assert received is not None, "no message consumed within 60 s"
        assert (received.key(), received.value()) == (b"k", b"payload")
    finally:
        consumer.close()


def test_neo4j_cypher_write_then_read():
    require_service("neo4j")
    from neo4j import GraphDatabase

    marker = uuid.uuid4().hex
    with GraphDatabase.driver(settings.NEO4J_URL) as driver:
        driver.execute_query("CREATE (:RoundTrip {marker: $m, n: 7})", m=marker)
        records, _, _ = driver.execute_query("MATCH (r:RoundTrip {marker: $m}) RETURN r.n AS n", m=marker)
        driver.execute_query("MATCH (r:RoundTrip {marker: $m}) DELETE r", m=marker)
    assert [r["n"] for r in records] == [7]


def test_ferretdb_insert_then_find_with_pymongo():
    require_service("ferretdb")
    from pymongo import MongoClient

    client = MongoClient(settings.MONGO_URL, serverSelectionTimeoutMS=5000)
    collection = client.get_default_database()[f"roundtrip_{uuid.uuid4().hex[:8]}"]
    try:
        collection.insert_one({"_id": "a", "text": "hi", "seq": 1})
        assert collection.find_one({"seq": {"$gte": 1}}) == {"_id": "a", "text": "hi", "seq": 1}
    finally:
        collection.drop()
        client.close()
