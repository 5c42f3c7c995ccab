"""Outbox relay throughput into Kafka: events per second for a backlog of outbox rows, by batch size.

The backlog is written first (as after a Kafka outage), then one relay drains it with the same
code `manage.py relay_outbox` runs: claim (FOR UPDATE SKIP LOCKED), produce, flush until the broker
confirms (acks=all, idempotent), mark sent. PostgreSQL and Kafka are the local services.

    eval "$(scripts/services/svc env)" && .venv/bin/python -m bench.relay_throughput [--events 20000]
"""

import argparse
import os
import sys
import time
import uuid

from bench.common import ROOT, bench_env, plot_latency, recreate_database, save, summarize

BATCH_SIZES = [100, 500, 2000]


def setup(env):
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def fill_outbox(count, conversations=200):
    """`count` unsent rows shaped like message.created events, spread over conversations."""
    from datetime import timedelta

    from django.utils import timezone

    from streaming.models import OutboxEvent

    keys = [str(uuid.uuid4()) for _ in range(conversations)]
    start = timezone.now()
    rows = [
        OutboxEvent(
            type="message.created",
            key=keys[i % conversations],
            actor_id=i % 50,
            occurred_at=start + timedelta(microseconds=i),
            payload={
                "conversation_id": keys[i % conversations],
                "message_id": str(uuid.uuid4()),
                "seq": i // conversations + 1,
                "sender_id": i % 50,
                "text": "a bench message of ordinary length, about as long as most chat lines",
                "parent_id": None,
                "mentions": [],
                "mention_all": False,
            },
        )
        for i in range(count)
    ]
    OutboxEvent.objects.bulk_create(rows, batch_size=2000)
    from django.db import connection

    with connection.cursor() as cursor:
        # What autovacuum does shortly after a bulk insert; without it the planner scans the table.
        cursor.execute(f"ANALYZE {OutboxEvent._meta.db_table}")


def drain(batch_size, progress):
    from streaming.relay import Relay

    relay = Relay(batch_size)
    batch_ms, sent_total = [], 0
    started = time.perf_counter()
    try:
        while True:
            t0 = time.perf_counter()
            claimed, sent = relay.relay_batch()
            if not claimed:
                break
            if sent < claimed:
                raise RuntimeError(f"Kafka refused {claimed - sent} of {claimed} events")
            batch_ms.append((time.perf_counter() - t0) * 1000)
            sent_total += sent
            progress.update(sent)
    finally:
        relay.close()
    return sent_total, time.perf_counter() - started, batch_ms


def delete_topics(topics):
    from confluent_kafka.admin import AdminClient
    from django.conf import settings

    admin = AdminClient({"bootstrap.servers": settings.KAFKA_BOOTSTRAP_SERVERS})
    for future in admin.delete_topics(topics, operation_timeout=30).values():
        try:
            future.result(30)
        except Exception as exc:
            print(f"bench: could not delete a topic: {exc}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20000, help="outbox rows per batch size")
    args = parser.parse_args()
    if not os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        sys.exit('bench: set KAFKA_BOOTSTRAP_SERVERS (eval "$(scripts/services/svc env)")')

    env = bench_env(
        "chatsite_bench_relay", KAFKA_TOPIC_PREFIX=f"bench{uuid.uuid4().hex[:6]}.", KAFKA_TOPIC_PARTITIONS="6"
    )
    print("bench: preparing database chatsite_bench_relay ...", flush=True)
    recreate_database(env["DATABASE_URL"])
    setup(env)
    from tqdm import tqdm

    from streaming.kafka import ensure_topics, event_and_dead_letter_topics
    from streaming.models import OutboxEvent

    topics = event_and_dead_letter_topics()
    ensure_topics(topics)
    results, series = {}, {}
    try:
        fill_outbox(500)
        drain(500, tqdm(disable=True))  # warm up: producer connection, topic metadata
        for batch_size in BATCH_SIZES:
            OutboxEvent.objects.all().delete()
            fill_outbox(args.events)
            with tqdm(total=args.events, unit="event", desc=f"batch {batch_size}") as bar:
                sent, elapsed, batch_ms = drain(batch_size, bar)
            label = f"batch {batch_size}"
            results[label] = {
                "events": sent,
                "seconds": round(elapsed, 2),
                "events_per_second": round(sent / elapsed),
                "batch_latency": summarize(batch_ms, elapsed),
            }
            series[label] = batch_ms
            print(f"bench:   {label}: {results[label]['events_per_second']} events/s", flush=True)
    finally:
        delete_topics(topics)
    path = save("relay_throughput", {"partitions": 6, **results}, "PostgreSQL 15, Kafka 3.9 single node")
    plot = plot_latency("relay_throughput", series, "Relay: time per claimed batch (claim, publish, flush, mark)")
    print(f"bench: wrote {path.relative_to(ROOT)} and {plot.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
