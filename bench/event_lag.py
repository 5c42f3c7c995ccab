"""Event lag from commit to consumer handler, p50 and p99, at a steady rate of committed events.

Three processes, as in production: a writer commits each event in its own transaction (as a
request would) and notes the commit time; a real `manage.py relay_outbox` publishes the outbox
(woken by LISTEN/NOTIFY); this process is the consumer group, running a handler through
`bus.handle_once` (dedupe row included) that notes when it ran. Lag = handler time minus commit
time (one machine, one clock). PostgreSQL and Kafka are the local services.

    eval "$(scripts/services/svc env)" && .venv/bin/python -m bench.event_lag [--seconds 15]
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

from bench.common import ROOT, bench_env, percentile, plot_latency, recreate_database, save

RATES = [50, 200, 500]  # events per second
TYPE = "moderation.reported"


def emit_at(rate, seconds, committed):
    """Commit `rate` events per second for `seconds`; note each commit time by event id."""
    from django.db import transaction

    from streaming.events import emit

    total = int(rate * seconds)
    started = time.perf_counter()
    for i in range(total):
        due = started + i / rate
        pause = due - time.perf_counter()
        if pause > 0:
            time.sleep(pause)
        with transaction.atomic():
            event = emit(TYPE, key=f"conv{i % 50}", payload={"n": i})
        committed[str(event.id)] = time.time()
    return total, time.perf_counter() - started


def writer(rate, seconds, out):
    """The writer process: commit events at `rate`, then save {event id: commit time}."""
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    committed = {}
    _, elapsed = emit_at(rate, seconds, committed)
    with open(out, "w") as f:
        json.dump({"elapsed": elapsed, "committed": committed}, f)


def run_writer(env, rate, seconds, out):
    cmd = [sys.executable, "-m", "bench.event_lag", "--writer", str(rate), str(seconds), str(out)]
    subprocess.run(cmd, cwd=ROOT, env=env, check=True)
    with open(out) as f:
        data = json.load(f)
    return data["committed"], data["elapsed"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15, help="seconds of load per rate")
    parser.add_argument("--writer", nargs=3, metavar=("RATE", "SECONDS", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.writer:
        rate, seconds, out = args.writer
        return writer(float(rate), float(seconds), out)
    if not os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        sys.exit('bench: set KAFKA_BOOTSTRAP_SERVERS (eval "$(scripts/services/svc env)")')
    env = bench_env(
        "chatsite_bench_lag", KAFKA_TOPIC_PREFIX=f"bench{uuid.uuid4().hex[:6]}.", KAFKA_TOPIC_PARTITIONS="6"
    )
    print("bench: preparing database chatsite_bench_lag ...", flush=True)
    recreate_database(env["DATABASE_URL"])
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    from bench.relay_throughput import delete_topics
    from streaming import bus
    from streaming.consumer import EventConsumer
    from streaming.events import topic_for
    from streaming.kafka import ensure_topics, event_and_dead_letter_topics

    call_command("migrate", verbosity=0)
    topics = event_and_dead_letter_topics()
    ensure_topics(topics)
    handled = {}

    @bus.handles(TYPE)
    def note(envelope):
        handled[envelope["id"]] = time.time()

    stop = threading.Event()

    def consume():
        from django.db import connection

        try:
            EventConsumer(f"bench-{uuid.uuid4().hex[:6]}", [topic_for(TYPE)]).run(stop, ensure=False)
        finally:
            connection.close()

    relay = subprocess.Popen([sys.executable, "manage.py", "relay_outbox", "--log-every", "3600"], cwd=ROOT, env=env)
    consumer = threading.Thread(target=consume)
    consumer.start()
    out = Path(tempfile.mkstemp(suffix=".json", prefix="bench-event-lag-")[1])
    results, series = {}, {}
    try:
        run_writer(env, 20, 3, out)  # warm up: group join, producer connection, topic metadata
        for rate in RATES:
            print(f"bench: {rate} events/s for {args.seconds:.0f} s ...", flush=True)
            committed, elapsed = run_writer(env, rate, args.seconds, out)
            deadline = time.time() + 60
            while set(committed) - set(handled) and time.time() < deadline:
                time.sleep(0.2)
            lags = [(handled[i] - committed[i]) * 1000 for i in committed if i in handled]
            label = f"offered {rate}/s"
            results[label] = {
                "events": len(committed),
                "achieved_rate": round(len(committed) / elapsed, 1),
                "handled": len(lags),
                "p50_ms": round(percentile(lags, 50), 1),
                "p99_ms": round(percentile(lags, 99), 1),
                "max_ms": round(max(lags), 1),
            }
            series[label] = lags
            print(f"bench:   {results[label]}", flush=True)
    finally:
        stop.set()
        consumer.join(30)
        relay.terminate()
        relay.wait(60)
        delete_topics(topics)
        out.unlink(missing_ok=True)
    path = save("event_lag", {"partitions": 6, **results}, "PostgreSQL 15, Kafka 3.9 single node")
    plot = plot_latency("event_lag", series, "Commit to consumer handler (relay via LISTEN/NOTIFY)")
    print(f"bench: wrote {path.relative_to(ROOT)} and {plot.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
