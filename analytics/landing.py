"""The Kafka route for raw events (manage.py analytics_land): every event topic -> Parquet under
<ANALYTICS_DATA_DIR>/raw/events/date=YYYY-MM-DD/, with Spark Structured Streaming. The rows have
the columns of analytics.raw.SCHEMA, the layout the outbox exporter writes, so the batch job reads
either route the same way.

- Checkpoints: the Kafka offsets and the deduplication state live under checkpoints/raw-events;
  a restarted job carries on where the last committed micro-batch ended.
- Replays: Kafka delivers at least once (a producer retry, a relay that resends after a crash), so
  events are deduplicated by id among those that arrived within DEDUP_WINDOW of each other. The
  watermark is on the Kafka record's arrival time, not on the event's own time: an event that
  occurred long ago but arrives now is late for the metrics, not for the raw store, and must land.
  A copy arriving later than the window lands twice, and the engines drop it by id when they read
  the day (analytics.raw), as they do for the exporter.
- A micro-batch that Spark runs again after a crash appends its rows again; the same read-time
  deduplication absorbs it.
"""

import logging
import re

from django.conf import settings

from analytics import raw
from analytics.backends.spark import batch_connection, run_stream, session
from analytics.exporter import conversation_kinds
from streaming.events import TOPICS

log = logging.getLogger(__name__)

QUERY = "raw-events"
DEDUP_WINDOW = "10 minutes"


def checkpoint_dir(data=None):
    return raw.raw_dir(data).parent.parent / "checkpoints" / QUERY


def topic_pattern():
    """Every event family's topic under this deployment's prefix; not the dead-letter topics."""
    families = "|".join(re.escape(topic) for topic in sorted(set(TOPICS.values())))
    return f"{re.escape(settings.KAFKA_TOPIC_PREFIX)}({families})"


def raw_events(spark, starting_offsets="earliest"):
    """The streaming DataFrame of raw rows (SCHEMA's columns and `date`), deduplicated by id."""
    from pyspark.sql import functions as F

    def field(path):
        return F.get_json_object("json", f"$.{path}")

    def integer(path):
        # Ids are integers; anything else (a string, a float) is not an id: NULL, as raw.flatten does.
        return F.when(field(path).rlike(r"^-?[0-9]+$"), field(path).cast("long"))

    return (
        spark.readStream.format("kafka")
        .option("kafka.bootstrap.servers", settings.KAFKA_BOOTSTRAP_SERVERS)
        .option("subscribePattern", topic_pattern())
        .option("startingOffsets", starting_offsets)
        .option("failOnDataLoss", "false")
        .load()
        .select(F.col("value").cast("string").alias("json"), F.col("timestamp").alias("arrived"))
        .select(
            field("id").alias("event_id"),
            field("type").alias("type"),
            field("occurred_at").cast("timestamp").alias("occurred_at"),
            integer("actor").alias("actor_id"),
            field("payload.conversation_id").alias("conversation_id"),
            integer("payload.user_id").alias("user_id"),
            field("payload.kind").alias("kind"),
            field("payload.client").alias("client"),
            F.coalesce(field("payload"), F.lit("{}")).alias("payload"),
            "arrived",
        )
        .where(F.col("event_id").isNotNull() & F.col("type").isNotNull() & F.col("occurred_at").isNotNull())
        .withWatermark("arrived", DEDUP_WINDOW)
        .dropDuplicatesWithinWatermark(["event_id"])
        .withColumn("date", F.to_date("occurred_at"))
        .drop("arrived")
    )


def with_kinds(frame):
    """Message events carry no conversation kind: it is looked up for the batch's conversations."""
    from pyspark.sql import functions as F

    missing = [row[0] for row in frame.where(F.col("kind").isNull()).select("conversation_id").distinct().collect()]
    kinds = conversation_kinds(missing)
    if not kinds:
        return frame
    lookup = frame.sparkSession.createDataFrame(list(kinds.items()), "conversation_id string, found string")
    return (
        frame.join(F.broadcast(lookup), "conversation_id", "left")
        .withColumn("kind", F.coalesce("kind", "found"))
        .drop("found")
    )


def write_batch(frame, batch_id, data=None):
    """foreachBatch: the batch's rows appended to their days' folders."""
    with batch_connection():
        columns = [f.name for f in raw.SCHEMA] + ["date"]
        with_kinds(frame).select(*columns).write.mode("append").partitionBy("date").parquet(str(raw.raw_dir(data)))


def run(*, available_now=False, trigger_seconds=30, data=None, timeout=None):
    """Start the landing query; with available_now, land what Kafka holds and stop."""
    spark = session()
    writer = (
        raw_events(spark)
        .writeStream.foreachBatch(lambda frame, batch_id: write_batch(frame, batch_id, data))
        .option("checkpointLocation", str(checkpoint_dir(data)))
        .queryName(QUERY)
    )
    return run_stream(writer, available_now=available_now, trigger_seconds=trigger_seconds, timeout=timeout)
