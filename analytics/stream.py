"""The streaming job (manage.py analytics_stream): Kafka's message events and presence samples ->
per-minute numbers in the database, with Spark Structured Streaming: messages, distinct senders,
and the sockets online (the highest presence.sampled of the minute: sockets, and users with one).

- Late events: a 2-minute watermark on the event time; a minute's numbers may change until the
  watermark passes it, and the job writes them again each time they do (update mode).
- Replays: Kafka delivers at least once, so events are deduplicated by id (within the watermark);
  and each micro-batch is written in one transaction together with its batch id, so a batch that
  Spark runs again after a crash (same id) is skipped rather than written twice.
- Distinct senders per minute use HyperLogLog (approx_count_distinct, 1% relative error): exact
  distinct counts are not available on a stream.
"""

import logging
import re
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.db import transaction

from analytics.backends.spark import batch_connection, run_stream, session
from analytics.models import Checkpoint, MinuteCount
from streaming.events import topic_for

log = logging.getLogger(__name__)

# v2: the presence samples joined the aggregation. Spark refuses a checkpoint whose state has other
# columns, so the query (and its checkpoint folder and batch-id row) has a new name.
QUERY = "minute-counts-v2"
WATERMARK = "2 minutes"
MESSAGES, SENDERS, SOCKETS, SOCKET_USERS = "messages", "senders", "sockets", "socket_users"
METRICS = (MESSAGES, SENDERS, SOCKETS, SOCKET_USERS)
MESSAGE, SAMPLE = "message.created", "presence.sampled"
MAX_OFFSETS_PER_TRIGGER = 50_000


def checkpoint_name():
    return f"stream.{QUERY}"


def checkpoint_dir(data=None):
    return Path(data or settings.ANALYTICS_DATA_DIR) / "checkpoints" / QUERY


def minute_counts(spark, starting_offsets="earliest"):
    """The streaming DataFrame of (minute, messages, senders, sockets, socket_users) from the message
    and presence topics; a minute without presence samples has no socket numbers (NULL)."""
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    envelope = T.StructType(
        [
            T.StructField("id", T.StringType()),
            T.StructField("type", T.StringType()),
            T.StructField("occurred_at", T.StringType()),
            T.StructField("actor", T.LongType()),
            T.StructField(
                "payload", T.StructType([T.StructField("sockets", T.LongType()), T.StructField("users", T.LongType())])
            ),
        ]
    )
    message, sample = F.col("type") == MESSAGE, F.col("type") == SAMPLE
    events = (
        spark.readStream.format("kafka")
        .option("kafka.bootstrap.servers", settings.KAFKA_BOOTSTRAP_SERVERS)
        # A pattern, not a list: a topic that does not exist yet (no presence sample so far) is
        # picked up when it appears, where a listed one fails the query.
        .option("subscribePattern", f"{re.escape(topic_for(MESSAGE))}|{re.escape(topic_for(SAMPLE))}")
        .option("startingOffsets", starting_offsets)
        .option("failOnDataLoss", "false")
        # A job that starts behind (a restart, a backlog) catches up in bounded steps rather than
        # one huge first batch that holds every minute back until it is done.
        .option("maxOffsetsPerTrigger", str(MAX_OFFSETS_PER_TRIGGER))
        .load()
        .select(F.from_json(F.col("value").cast("string"), envelope).alias("e"))
        .select("e.*")
        .where(message | sample)
        .withColumn("at", F.col("occurred_at").cast("timestamp"))
        .withWatermark("at", WATERMARK)
        .dropDuplicates(["id", "at"])
    )
    return events.groupBy(F.window("at", "1 minute").alias("w")).agg(
        F.count(F.when(message, 1)).alias(MESSAGES),
        F.approx_count_distinct(F.when(message, F.col("actor")), 0.01).alias(SENDERS),
        F.max(F.when(sample, F.col("payload.sockets"))).alias(SOCKETS),
        F.max(F.when(sample, F.col("payload.users"))).alias(SOCKET_USERS),
    )


def write_batch(frame, batch_id):
    """foreachBatch: the batch's minutes, written with its id in one transaction; a batch id at or
    below the last one written is a replay and is skipped."""
    from pyspark.sql import functions as F

    # Epoch seconds, not timestamps: pyspark turns timestamps into the driver's local time.
    picked = frame.select(F.unix_timestamp("w.start").alias("start"), *METRICS).collect()
    rows = [
        (datetime.fromtimestamp(row["start"], UTC), metric, row[metric])
        for row in picked
        for metric in METRICS
        if row[metric] is not None
    ]
    with batch_connection():
        return _write_once(rows, batch_id)


def _write_once(rows, batch_id):
    with transaction.atomic():
        checkpoint, _ = Checkpoint.objects.select_for_update().get_or_create(name=checkpoint_name())
        last = checkpoint.position.get("batch_id", -1)
        if batch_id <= last:
            log.info("streaming batch %s already written (last %s); skipped", batch_id, last)
            return False
        # One statement for the batch: a minute seen again replaces its value (update mode).
        MinuteCount.objects.bulk_create(
            [MinuteCount(minute=minute, metric=metric, value=value) for minute, metric, value in rows],
            update_conflicts=True,
            unique_fields=["metric", "minute"],
            update_fields=["value"],
        )
        checkpoint.position = {"batch_id": batch_id}
        checkpoint.save(update_fields=["position", "updated_at"])
    return True


def run(*, available_now=False, trigger_seconds=5, data=None, timeout=None):
    """Start the query; with available_now, process what Kafka holds and stop."""
    spark = session()
    # Update mode writes a minute whenever it changes; batches with no new data (run only to move
    # the watermark on) would just cost a Spark job each.
    spark.conf.set("spark.sql.streaming.noDataMicroBatches.enabled", "false")
    writer = (
        minute_counts(spark)
        .writeStream.outputMode("update")
        .foreachBatch(write_batch)
        .option("checkpointLocation", str(checkpoint_dir(data)))
        .queryName(QUERY)
    )
    return run_stream(writer, available_now=available_now, trigger_seconds=trigger_seconds, timeout=timeout)
