"""Analytics: the batch job over 1M and 10M synthetic events on Spark local[2] and on the SQL engine
(PostgreSQL), side by side in one run; and the streaming job's end-to-end lag at 2,000 events/s.

    eval "$(scripts/services/svc env)" && .venv/bin/python -m bench.analytics \\
        [--sizes 1000000,10000000] [--stream-rate 2000 --stream-seconds 60] [--skip-stream]

Events are synthetic (bench-fast: numpy, not analytics.generate), 30 days, 90% messages, senders
with a heavy tail. Batch time = stage the raw days + every metric query + (Spark) the curated
write; the load into the aggregate tables is the same for both engines and left out. Streaming lag
= for each event, the first moment the minute counts in PostgreSQL include it, minus when it was
produced. Long (10M events take minutes): `make bench-analytics`, not part of `make bench`.
Writes bench/results/analytics.{json,png} and the targets in bench/results/targets.json.

Each result carries the load average (1 min) at its start and end: the machine is shared, and a
number taken under a load of 20 on 2 cores says little about the code. Spark's JVM start is timed
apart (jvm_start_s) and not in the batch seconds: a deployment starts it once per process.
"""

import argparse
import json
import os
import sys
import tempfile
import threading
import time
import uuid
from datetime import date, timedelta

from bench.common import RESULTS, ROOT, bench_database_url, percentile, record_targets, recreate_database, save

DAYS = 30
END = date(2026, 1, 31)
HOURLY = [1, 1, 1, 1, 1, 2, 4, 7, 10, 12, 12, 11, 9, 11, 12, 11, 10, 8, 7, 6, 5, 4, 3, 2]
BATCH_TARGET_S = 120
LAG_TARGET_S = 5
STREAM_TRIGGER_S = 1


def write_events(n, data, seed=1):
    """n synthetic raw events over DAYS days ending END, one Parquet file per day."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    from analytics import raw

    rng = np.random.default_rng(seed)
    users = max(100, n // 200)
    conversations = max(50, n // 500)
    start = np.datetime64(END - timedelta(days=DAYS - 1), "us")
    day = rng.integers(0, DAYS, n)
    hour = rng.choice(24, n, p=np.array(HOURLY) / sum(HOURLY))
    micros = (day * 86_400 + hour * 3600 + rng.integers(0, 3600, n)) * 1_000_000 + rng.integers(0, 1_000_000, n)
    kinds = np.array(["message.created", "reaction.added", "member.joined", "user.registered", "moderation.reported"])
    type_index = rng.choice(len(kinds), n, p=[0.9, 0.06, 0.03, 0.009, 0.001])
    actor = (rng.zipf(1.4, n) % users) + 1
    conversation = (rng.zipf(1.3, n) % conversations).astype(np.int64)
    kind = np.where(conversation % 10 == 0, "channel", np.where(conversation % 10 < 5, "direct", "group"))
    client = np.where(rng.random(n) < 0.7, "web", "api")
    order = np.argsort(day, kind="stable")
    table = pa.table(
        {
            "event_id": pa.array(np.arange(n)).cast(pa.string()),
            "type": pa.array(kinds[type_index]),
            "occurred_at": pa.array(start + micros.astype("timedelta64[us]")).cast(pa.timestamp("us", tz="UTC")),
            "actor_id": pa.array(actor.astype(np.int64)),
            "conversation_id": pa.array(conversation).cast(pa.string()),
            "user_id": pa.array(np.where(type_index == 3, actor, 0).astype(np.int64)),
            "kind": pa.array(kind),
            "client": pa.array(client),
            "payload": pa.array(["{}"] * n),
        },
        schema=raw.SCHEMA,
    ).take(pa.array(order))
    sorted_days = day[order]
    bounds = np.searchsorted(sorted_days, np.arange(DAYS + 1))
    for d in range(DAYS):
        folder = raw.day_dir(END - timedelta(days=DAYS - 1 - d), data)
        folder.mkdir(parents=True, exist_ok=True)
        pq.write_table(table.slice(bounds[d], bounds[d + 1] - bounds[d]), folder / "part-bench.parquet")


def load_average():
    return round(os.getloadavg()[0], 1)


def time_batch(engine_name, data):
    from django.db import connection

    from analytics import etl
    from analytics.backends import get_engine

    started = time.perf_counter()
    engine = get_engine(engine_name)  # Spark's JVM starts here (once per process), before the clock
    jvm_start = time.perf_counter() - started
    first = END - timedelta(days=DAYS - 1)
    steps, last = {}, [time.perf_counter(), None]

    def step(name):
        # Where the time goes, step by step (etl.STEPS): what to tune first.
        now = time.perf_counter()
        if last[1]:
            steps[last[1]] = round(now - last[0], 1)
        last[:] = [now, name]

    started = time.perf_counter()
    results = etl.compute(engine, first, END, data, step)
    elapsed = time.perf_counter() - started
    step(None)
    if engine_name == "sql":
        connection.close()
    return elapsed, len(results.daily), round(jvm_start, 1) if engine_name == "spark" else None, steps


def stream_lag(rate, seconds):
    """Produce `rate` message events/s for `seconds`, run the streaming job beside, and return
    each event's lag (s) until PostgreSQL's minute counts include it."""
    from confluent_kafka import Producer
    from django.conf import settings
    from django.db import connection
    from django.db.models import Sum

    from analytics import stream
    from analytics.models import MinuteCount
    from streaming.events import topic_for
    from streaming.kafka import producer_config

    settings.KAFKA_TOPIC_PREFIX = f"bench-analytics-{uuid.uuid4().hex[:8]}-"
    settings.ANALYTICS_DATA_DIR = tempfile.mkdtemp(prefix="bench-analytics-stream-")
    MinuteCount.objects.all().delete()
    topic = topic_for("message.created")
    producer = Producer(producer_config())
    producer.produce(topic, value=b"{}")  # creates the topic before the job subscribes
    producer.flush(30)
    job = threading.Thread(
        target=stream.run, kwargs={"trigger_seconds": STREAM_TRIGGER_S, "timeout": seconds + 90}, daemon=True
    )
    job.start()
    time.sleep(15)  # the query's first (empty) batches, before the clock starts
    produced, counted, done = [], [], threading.Event()

    def watch():
        while not done.is_set():
            total = MinuteCount.objects.filter(metric="messages").aggregate(t=Sum("value"))["t"] or 0
            counted.append((time.time(), total))
            time.sleep(0.1)
        connection.close()

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    started = time.perf_counter()
    for i in range(int(rate * seconds)):
        pause = started + i / rate - time.perf_counter()
        if pause > 0:
            time.sleep(pause)
        now = time.time()
        event = {"id": str(uuid.uuid4()), "type": "message.created", "occurred_at": _iso(now), "actor": i % 500}
        producer.produce(topic, key=str(i % 64), value=json.dumps(event).encode())
        producer.poll(0)
        produced.append(now)
    producer.flush(30)
    deadline = time.time() + 60
    while time.time() < deadline and (not counted or counted[-1][1] < len(produced)):
        time.sleep(0.2)
    done.set()
    watcher.join(5)
    lags, j = [], 0
    for k, at in enumerate(produced, start=1):
        while j < len(counted) and counted[j][1] < k:
            j += 1
        lags.append(counted[j][0] - at if j < len(counted) else float("inf"))
    return lags


def _iso(epoch):
    from datetime import UTC, datetime

    return datetime.fromtimestamp(epoch, UTC).isoformat()


def plot(batch, lags, name):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    sizes = sorted({row["events"] for row in batch})
    for engine, colour in (("spark", "#e07a1f"), ("sql", "#2f6fde")):
        points = [
            next((r["seconds"] for r in batch if r["events"] == s and r["engine"] == engine), None) for s in sizes
        ]
        left.plot(sizes, points, marker="o", color=colour, label=f"{engine}")
    left.axhline(BATCH_TARGET_S, color="grey", linestyle="--", label=f"target {BATCH_TARGET_S} s (10M on Spark)")
    left.set(
        xscale="log", xlabel="events", ylabel="batch seconds", title="Batch job: Spark local[2] vs SQL (PostgreSQL)"
    )
    left.legend()
    if lags:
        finite = sorted(x for x in lags if x != float("inf"))
        right.plot(finite, [i / len(lags) for i in range(1, len(finite) + 1)], color="#2a9d5b")
        right.axvline(LAG_TARGET_S, color="grey", linestyle="--", label=f"target p99 {LAG_TARGET_S} s")
        right.set(xlabel="lag (s)", ylabel="share of events", title="Streaming lag, CDF")
        right.legend()
    fig.tight_layout()
    path = RESULTS / f"{name}.png"
    fig.savefig(path, dpi=110)
    return path


def write_targets(batch, lag_summary, command):
    entries = []
    spark_10m = next((r for r in batch if r["engine"] == "spark" and r["events"] == 10_000_000), None)
    if spark_10m:
        entries.append(
            {
                "name": "analytics batch over 10M events on Spark local[2]",
                "goal": f"<= {BATCH_TARGET_S}",
                "measured": spark_10m["seconds"],
                "load_average": spark_10m["load_average"],
                "unit": "s",
                "met": spark_10m["seconds"] <= BATCH_TARGET_S,
                "command": command,
            }
        )
    if lag_summary:
        entries.append(
            {
                "name": f"analytics streaming lag p99 at {lag_summary['rate']} events/s",
                "goal": f"<= {LAG_TARGET_S}",
                "measured": lag_summary["p99_s"],
                "load_average": lag_summary["load_average"],
                "unit": "s",
                "met": lag_summary["p99_s"] <= LAG_TARGET_S,
                "command": command,
            }
        )
    record_targets(entries)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000000,10000000")
    parser.add_argument("--engines", default="spark,sql")
    parser.add_argument("--stream-rate", type=int, default=2000)
    parser.add_argument("--stream-seconds", type=int, default=60)
    parser.add_argument("--skip-stream", action="store_true")
    parser.add_argument("--name", default="analytics", help="results file name in bench/results/")
    # local[2] has two cores: a few shuffle partitions keep tasks (and the streaming job's state
    # stores, one per partition and stateful step, each written every micro-batch) few.
    parser.add_argument("--shuffle-partitions", default="2")
    parser.add_argument("--driver-memory", default="3g")
    args = parser.parse_args()
    os.environ.update(
        DJANGO_SETTINGS_MODULE="settings.test",
        DATABASE_URL=bench_database_url("chatsite_bench_analytics"),
        SPARK_MASTER="local[2]",
        SPARK_SHUFFLE_PARTITIONS=args.shuffle_partitions,
        # 1g (the default) spills the cached 10M events to disk.
        SPARK_DRIVER_MEMORY=args.driver_memory,
    )
    recreate_database(os.environ["DATABASE_URL"])
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    batch = []
    for size in (int(s) for s in args.sizes.split(",")):
        data = tempfile.mkdtemp(prefix=f"bench-analytics-{size}-")
        started = time.perf_counter()
        write_events(size, data)
        print(f"bench: {size:,} events written in {time.perf_counter() - started:.1f} s", flush=True)
        for engine in args.engines.split(","):
            load_before = load_average()
            seconds, rows, jvm_start, steps = time_batch(engine, data)
            batch.append(
                {
                    "engine": engine,
                    "events": size,
                    "seconds": round(seconds, 1),
                    "daily_rows": rows,
                    "jvm_start_s": jvm_start,
                    "steps_s": steps,
                    "load_average": [load_before, load_average()],
                }
            )
            print(
                f"bench: {engine:5} {size:>10,} events: {seconds:7.1f} s ({rows} daily rows; steps {steps};"
                f" JVM start {jvm_start} s; load {load_before} -> {load_average()})",
                flush=True,
            )
    lag_summary, lags = None, []
    if not args.skip_stream:
        load_before = load_average()
        lags = stream_lag(args.stream_rate, args.stream_seconds)
        lag_summary = {
            "load_average": [load_before, load_average()],
            "trigger_s": STREAM_TRIGGER_S,
            "rate": args.stream_rate,
            "seconds": args.stream_seconds,
            "events": len(lags),
            "p50_s": round(percentile(lags, 50), 2),
            "p99_s": round(percentile(lags, 99), 2),
            "uncounted": sum(1 for x in lags if x == float("inf")),
        }
        print(f"bench: streaming lag at {args.stream_rate}/s: {lag_summary}", flush=True)
    command = "python -m bench.analytics " + " ".join(sys.argv[1:])
    results = {
        "shuffle_partitions": int(args.shuffle_partitions),
        "driver_memory": args.driver_memory,
        "batch": batch,
        "stream": lag_summary,
    }
    path = save(args.name, results, machine_note="(shared with other sessions; see load_average)")
    plot(batch, lags, args.name)
    write_targets(batch, lag_summary, command.strip())
    print(f"bench: wrote {path.relative_to(ROOT)}, its plot and targets.json")


if __name__ == "__main__":
    main()
