"""The analytics engine port: where the metric queries (analytics.etl) run.

An engine stages the raw events of a span of days as a table of derived columns (`events`:
event_id, type, dn, hour, ts_ms, actor_id, conversation_id, user_id, kind, client; deduplicated
by event id), runs SQL over it, and hands back rows. The queries are the same for both engines,
so the two cannot drift apart; the contract test holds them to identical results.

- sql (default): the Django database (SQLite or PostgreSQL); needs no Java.
- spark: pyspark on SPARK_MASTER (local[*], or a cluster).
"""

from django.conf import settings

ENGINES = ("sql", "spark")


def get_engine(name=None):
    name = name or settings.ANALYTICS_ENGINE
    if name == "sql":
        from analytics.backends.sql import SqlEngine

        return SqlEngine()
    if name == "spark":
        from analytics.backends.spark import SparkEngine

        return SparkEngine()
    raise ValueError(f"unknown ANALYTICS_ENGINE {name!r}; one of {', '.join(ENGINES)}")
