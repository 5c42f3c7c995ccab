"""The Spark engine: pyspark on SPARK_MASTER (local[*] by default, a cluster in production).

One SparkSession per process: starting the JVM costs seconds, so the session is made once and
reused by every job and test. The staged events are a temporary view; the curated copy of each
computed day is written to data/processed/events as Parquet.
"""

import contextlib
import functools
import logging
import threading
from pathlib import Path

from django.conf import settings
from django.db import connection

from analytics import raw

log = logging.getLogger(__name__)

VIEW = "events"


def connector_jars():
    """The Kafka connector's jars fetched at set-up (svc start spark), for spark.jars."""
    folder = settings.SPARK_JARS_DIR
    if not folder:
        return []
    return sorted(str(path) for path in Path(folder).glob("*.jar"))


def run_stream(writer, *, available_now, trigger_seconds, timeout):
    """Start a streaming query: with available_now it processes what the source holds and stops,
    otherwise it runs a micro-batch every trigger_seconds until timeout (None: until stopped)."""
    trigger = {"availableNow": True} if available_now else {"processingTime": f"{trigger_seconds} seconds"}
    query = writer.trigger(**trigger).start()
    try:
        query.awaitTermination(timeout)
    finally:
        if query.isActive:
            query.stop()
    return query


@contextlib.contextmanager
def batch_connection():
    """Around a foreachBatch callback: Spark calls it from its own thread, and a database
    connection left open there would outlive the thread."""
    try:
        yield
    finally:
        if threading.current_thread() is not threading.main_thread():
            connection.close()


@functools.cache
def session():
    from pyspark.sql import SparkSession

    builder = (
        SparkSession.builder.master(settings.SPARK_MASTER)
        .appName("chatsite-analytics")
        # Every date, hour and day number is UTC, whatever the machine's zone.
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", str(settings.SPARK_SHUFFLE_PARTITIONS))
        .config("spark.sql.sources.partitionOverwriteMode", "dynamic")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.adaptive.enabled", "true")
        # Microsecond UTC timestamps, as pyarrow writes them (not Spark's legacy INT96): the raw files
        # of the Kafka landing job and of the exporter must read back alike.
        .config("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS")
        # No _SUCCESS marker files among the raw day folders.
        .config("spark.hadoop.mapreduce.fileoutputcommitter.marksuccessfuljobs", "false")
    )
    if settings.SPARK_DRIVER_MEMORY:
        # Read when the JVM starts, which this builder does: it has to be set before getOrCreate.
        builder = builder.config("spark.driver.memory", settings.SPARK_DRIVER_MEMORY)
    jars = connector_jars()
    if jars:
        builder = builder.config("spark.jars", ",".join(jars))
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("WARN")
    # py4j logs each closed callback connection at INFO, even from interpreter shutdown.
    logging.getLogger("py4j").setLevel(logging.WARNING)
    return spark


class SparkEngine:
    name = "spark"
    events = VIEW
    text = "STRING"

    def __init__(self):
        self.spark = session()
        self.staged = None

    def stage(self, first, last, data=None):
        from pyspark.sql import functions as F

        files = raw.files_for(first, last, data)
        if files:
            frame = self.spark.read.schema(self._schema()).parquet(*files)
        else:
            frame = self.spark.createDataFrame([], self._schema())
        ts_ms = F.floor(F.unix_micros("occurred_at") / 1000).cast("long")
        staged = (
            # The payload text is read by no query and written to no curated table: not cached.
            frame.drop("payload")
            .dropDuplicates(["event_id"])
            .withColumn("ts_ms", ts_ms)
            .withColumn("dn", F.floor(ts_ms / 86_400_000).cast("int"))
            .withColumn("hour", F.hour("occurred_at"))
            .withColumn("date", F.to_date("occurred_at"))
        )
        self.staged = staged.cache()
        staged.createOrReplaceTempView(VIEW)
        return staged.count()

    @staticmethod
    def _schema():
        from pyspark.sql import types as T

        names = {
            "string": T.StringType(),
            "timestamp[us, tz=UTC]": T.TimestampType(),
            "int64": T.LongType(),
        }
        return T.StructType([T.StructField(f.name, names[str(f.type)], True) for f in raw.SCHEMA])

    def days(self, lo, hi):
        return f"(SELECT explode(sequence({int(lo)}, {int(hi)})) AS dn)"

    def rows(self, sql):
        return [tuple(row) for row in self.spark.sql(sql).collect()]

    def finish(self, first, last, data=None):
        """The curated events of the computed days, replaced day by day (dynamic overwrite)."""
        from pyspark.sql import functions as F

        out = raw.processed_dir(data) / "events"
        frame = self.staged.where(F.col("date").between(first.isoformat(), last.isoformat()))
        frame.write.mode("overwrite").partitionBy("date").parquet(str(out))
        self.spark.catalog.dropTempView(VIEW)
        self.staged.unpersist()
