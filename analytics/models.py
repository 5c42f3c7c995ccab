"""Aggregate tables (what the API and the dashboard read) and the pipeline's bookkeeping.

The batch job replaces whole days: a rerun of a day deletes that day's rows and writes them again,
so every table here is keyed by day."""

from django.db import models


class DailyMetric(models.Model):
    """One number of one day: `metric` (analytics.metrics.NAMES) split by `dim` ("" for the total;
    "web", "channel", an hour, a conversation id... for the breakdowns)."""

    day = models.DateField()
    metric = models.CharField(max_length=40)
    dim = models.CharField(max_length=64, blank=True, default="")
    value = models.FloatField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["metric", "day", "dim"], name="daily_metric_once")]
        indexes = [models.Index(fields=["day"], name="daily_metric_day_idx")]

    def __str__(self):
        return f"{self.day} {self.metric}[{self.dim}]={self.value}"


class UserDay(models.Model):
    """One user's activity on one day: what "me versus everyone" and retention read."""

    day = models.DateField()
    user_id = models.BigIntegerField()
    messages = models.PositiveIntegerField(default=0)
    events = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user_id", "day"], name="user_day_once")]
        indexes = [models.Index(fields=["day"], name="user_day_day_idx")]

    def __str__(self):
        return f"{self.day} user {self.user_id}"


class Signup(models.Model):
    """When a user registered (from user.registered): the retention cohorts' weeks."""

    user_id = models.BigIntegerField(unique=True)
    day = models.DateField(db_index=True)

    def __str__(self):
        return f"user {self.user_id} on {self.day}"


class StagedEvent(models.Model):
    """The SQL engine's working copy of the raw events of the days it computes (deduplicated by
    id), with the derived columns its queries group by. The Spark engine keeps the same columns in
    a DataFrame and in data/processed."""

    event_id = models.CharField(max_length=36, unique=True)
    type = models.CharField(max_length=64)
    dn = models.IntegerField(help_text="Day number: days since 1970-01-01 (UTC).")
    hour = models.SmallIntegerField()
    ts_ms = models.BigIntegerField()
    actor_id = models.BigIntegerField(null=True)
    # NULL where the raw event has none, as in the Parquet files the Spark engine reads.
    conversation_id = models.CharField(max_length=64, null=True)  # noqa: DJ001
    user_id = models.BigIntegerField(null=True)
    kind = models.CharField(max_length=16, null=True)  # noqa: DJ001
    client = models.CharField(max_length=16, null=True)  # noqa: DJ001

    class Meta:
        indexes = [models.Index(fields=["dn", "type"], name="staged_event_day_type_idx")]

    def __str__(self):
        return f"{self.type} {self.event_id}"


class Checkpoint(models.Model):
    """How far a pipeline has got: the exporter's last exported event (by time, then id), the
    last loaded day of the batch job, or a streaming query's last committed batch."""

    name = models.CharField(max_length=64, unique=True)
    position = models.JSONField(default=dict)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return self.name


class MinuteCount(models.Model):
    """Live per-minute numbers kept by the streaming job (analytics_stream): messages sent and
    distinct senders in each minute (UTC)."""

    minute = models.DateTimeField()
    metric = models.CharField(max_length=32)
    value = models.BigIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["metric", "minute"], name="minute_count_once")]
        indexes = [models.Index(fields=["minute"], name="minute_count_minute_idx")]

    def __str__(self):
        return f"{self.minute:%Y-%m-%d %H:%M} {self.metric}={self.value}"
