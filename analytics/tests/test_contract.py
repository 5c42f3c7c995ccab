"""The engines' contract: on one generated world, Spark and SQL give identical aggregates."""

from datetime import date

import pytest

from analytics import etl, raw
from analytics.backends import get_engine
from analytics.generate import generate
from testkit.services import require_service


@pytest.mark.services
@pytest.mark.timeout(900)  # a minute on a quiet machine; Spark's many small jobs crawl on a loaded one
def test_spark_and_sql_compute_identical_aggregates_on_generated_activity(db, tmp_path):
    require_service("spark")
    events, first, last = generate(users=30, days=14, end=date(2026, 2, 28), seed=11, data=tmp_path)
    assert events > 500  # a world big enough that every metric has rows
    sql = etl.compute(get_engine("sql"), first, last, tmp_path)
    spark = etl.compute(get_engine("spark"), first, last, tmp_path)
    assert {m for _, m, _, _ in sql.daily} >= {
        "messages",
        "dau",
        "mau",
        "first_reply_median_s",
        "reports_opened",
        "reads",
        "held_messages",
        "spam_rate",
        "notifications_delivered",
        "notifications_failed",
    }
    assert sorted(spark.daily) == sorted(sql.daily)
    assert sorted(spark.user_days) == sorted(sql.user_days)
    assert sorted(spark.signups) == sorted(sql.signups)
    # Spark also keeps the curated (deduplicated) events of the computed days, a folder per day.
    curated = sorted(p.name for p in (raw.processed_dir(tmp_path) / "events").iterdir() if p.is_dir())
    assert curated == [f"date={day.isoformat()}" for day in raw.days_between(first, last)]
