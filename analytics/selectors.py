"""Reads of the aggregate tables, for the API and the dashboard. Each read is a fixed number of
queries, whatever the span: the rows are grouped in the database and shaped here."""

from collections import defaultdict
from datetime import timedelta
from pathlib import Path

from django.db.models import Count, Max, Sum
from django.db.models.functions import TruncWeek

from accounts.selectors import user_count
from analytics import metrics, raw
from analytics.models import DailyMetric, MinuteCount, Signup, UserDay
from chats.selectors import all_conversations

# Charts the API serves: name -> (metric, what the dimension means)
SERIES = {
    "messages": (metrics.MESSAGES, None),
    "messages_by_kind": (metrics.MESSAGES_BY_KIND, "kind"),
    "messages_by_client": (metrics.MESSAGES_BY_CLIENT, "client"),
    "dau": (metrics.DAU, None),
    "wau": (metrics.WAU, None),
    "actives_15": (metrics.ACTIVES_15, None),
    "mau": (metrics.MAU, None),
    "new_users": (metrics.NEW_USERS, None),
    "reports_opened": (metrics.REPORTS_OPENED, None),
    "reports_resolved": (metrics.REPORTS_RESOLVED, None),
    "first_reply_median_s": (metrics.FIRST_REPLY_MEDIAN, None),
    "reads": (metrics.READS, None),
    "held_messages": (metrics.HELD, "model"),
    "held_approved": (metrics.HELD_APPROVED, None),
    "held_rejected": (metrics.HELD_REJECTED, None),
    "spam_rate": (metrics.SPAM_RATE, None),
    "notifications_delivered": (metrics.NOTIFICATIONS_DELIVERED, None),
    "notifications_failed": (metrics.NOTIFICATIONS_FAILED, None),
}
# Counts add up over a week; the other series are levels (actives, medians): a week shows its last day.
ADDITIVE = {
    metrics.MESSAGES,
    metrics.MESSAGES_BY_KIND,
    metrics.MESSAGES_BY_CLIENT,
    metrics.NEW_USERS,
    metrics.REPORTS_OPENED,
    metrics.REPORTS_RESOLVED,
    metrics.READS,
    metrics.HELD,
    metrics.HELD_APPROVED,
    metrics.HELD_REJECTED,
    metrics.NOTIFICATIONS_DELIVERED,
    metrics.NOTIFICATIONS_FAILED,
}


def week_of(day):
    return day - timedelta(days=day.weekday())


def series(name, first, last, *, grain="day", cumulative=False):
    """{"labels": [day or week start, ...], "series": {dim or "total": [value per label]}}."""
    metric, _ = SERIES[name]
    rows = DailyMetric.objects.filter(metric=metric, day__range=(first, last)).order_by("day")
    days = raw.days_between(first, last)
    labels = sorted({week_of(d) for d in days}) if grain == "week" else days
    position = {label: i for i, label in enumerate(labels)}
    out = defaultdict(lambda: [0.0] * len(labels))
    for day, dim, value in rows.values_list("day", "dim", "value"):
        slot = position[week_of(day) if grain == "week" else day]
        values = out[dim or "total"]
        values[slot] = values[slot] + value if metric in ADDITIVE else value
    if cumulative and metric in ADDITIVE:
        for values in out.values():
            running = 0.0
            for i, value in enumerate(values):
                running += value
                values[i] = running
    return {"labels": [label.isoformat() for label in labels], "series": dict(out)}


def heatmap(first, last):
    """Messages by weekday (Monday first) and hour of the day (UTC): 7 rows of 24."""
    grid = [[0] * 24 for _ in range(7)]
    rows = DailyMetric.objects.filter(metric=metrics.MESSAGES_BY_HOUR, day__range=(first, last))
    for day, dim, value in rows.values_list("day", "dim", "value"):
        grid[day.weekday()][int(dim)] += int(value)
    return grid


def top_channels(first, last, limit=10):
    rows = (
        DailyMetric.objects.filter(metric=metrics.CHANNEL_MESSAGES, day__range=(first, last))
        .values("dim")
        .annotate(total=Sum("value"))
        .order_by("-total", "dim")[:limit]
    )
    ids = [row["dim"] for row in rows]
    titles = dict(all_conversations().filter(pk__in=_uuids(ids)).values_list("pk", "title"))
    titles = {str(pk): title for pk, title in titles.items()}
    return [
        {"conversation_id": row["dim"], "title": titles.get(row["dim"], ""), "messages": int(row["total"])}
        for row in rows
    ]


def _uuids(values):
    import uuid

    found = []
    for value in values:
        try:
            found.append(uuid.UUID(value))
        except ValueError:
            continue  # generated demo channels have no conversation row
    return found


def retention(first, last, weeks=8):
    """Cohorts of the users who signed up in each week of first..last: the share of each cohort
    active (any event) in its signup week and each of the `weeks` weeks after."""
    cohort = Signup.objects.filter(day__range=(first, last))
    signups = dict(cohort.values_list("user_id", "day"))
    cohort_sizes = defaultdict(int)
    for day in signups.values():
        cohort_sizes[week_of(day)] += 1
    active = (
        UserDay.objects.filter(user_id__in=cohort.values("user_id"), day__gte=week_of(first))
        .annotate(week=TruncWeek("day"))
        .values_list("user_id", "week")
        .distinct()
    )
    retained = defaultdict(int)
    for user_id, week in active:
        week = week.date() if hasattr(week, "date") else week
        offset = (week - week_of(signups[user_id])).days // 7
        if 0 <= offset <= weeks:
            retained[(week_of(signups[user_id]), offset)] += 1
    return [
        {
            "cohort": cohort.isoformat(),
            "users": size,
            "retained": [round(retained[(cohort, k)] / size, 4) for k in range(weeks + 1)],
        }
        for cohort, size in sorted(cohort_sizes.items())
    ]


def summary(first, last):
    totals = dict(
        DailyMetric.objects.filter(day__range=(first, last), dim="", metric__in=[metrics.MESSAGES, metrics.NEW_USERS])
        .values_list("metric")
        .annotate(total=Sum("value"))
    )
    latest = DailyMetric.objects.filter(day__range=(first, last), metric__in=[metrics.DAU, metrics.MAU]).aggregate(
        last_day=Max("day")
    )["last_day"]
    levels = dict(
        DailyMetric.objects.filter(day=latest, metric__in=[metrics.DAU, metrics.MAU]).values_list("metric", "value")
    )
    return {
        "users": user_count(),
        "messages": int(totals.get(metrics.MESSAGES, 0)),
        "new_users": int(totals.get(metrics.NEW_USERS, 0)),
        "dau": int(levels.get(metrics.DAU, 0)),
        "mau": int(levels.get(metrics.MAU, 0)),
        "as_of": latest.isoformat() if latest else None,
        "storage_bytes": storage_bytes(),
    }


def storage_bytes():
    """What the analytics data folder holds on disk (raw and curated Parquet)."""
    root = Path(raw.raw_dir()).parent.parent
    return sum(path.stat().st_size for path in root.rglob("*.parquet")) if root.is_dir() else 0


def me_versus_everyone(user_id, first, last):
    """A user's messages per day beside the average of everyone active that day."""
    mine = dict(UserDay.objects.filter(user_id=user_id, day__range=(first, last)).values_list("day", "messages"))
    everyone = (
        UserDay.objects.filter(day__range=(first, last))
        .values("day")
        .annotate(people=Count("user_id"), messages=Sum("messages"))
    )
    average = {row["day"]: row["messages"] / row["people"] for row in everyone if row["people"]}
    days = raw.days_between(first, last)
    return {
        "labels": [d.isoformat() for d in days],
        "series": {
            "me": [mine.get(d, 0) for d in days],
            "average_active_user": [round(average.get(d, 0.0), 3) for d in days],
        },
    }


# The streaming job's per-minute numbers (analytics.stream), in the order the dashboard draws them.
LIVE_METRICS = ("messages", "senders", "sockets", "socket_users")


def live(until, minutes):
    """The `minutes` whole minutes up to `until` (UTC): {"labels": [ISO minute], "series": {metric:
    [value, or None where the job wrote nothing for that minute]}}."""
    last = until.replace(second=0, microsecond=0)
    labels = [last - timedelta(minutes=n) for n in range(minutes - 1, -1, -1)]
    position = {label: i for i, label in enumerate(labels)}
    out = {metric: [None] * len(labels) for metric in LIVE_METRICS}
    rows = MinuteCount.objects.filter(minute__range=(labels[0], last), metric__in=LIVE_METRICS)
    for minute, metric, value in rows.values_list("minute", "metric", "value"):
        out[metric][position[minute]] = value
    return {"labels": [label.isoformat() for label in labels], "series": out}
