"""The batch job: raw events of a span of days -> aggregate tables (DailyMetric, UserDay, Signup).

The queries below are the single definition of each metric (analytics.metrics); every engine runs
them unchanged over its staged `events` table. A run over first..last stages the raw days it needs
(the look-back for the monthly actives, the reply window after), then replaces first..last in the
tables in one transaction: rerunning a day gives the same rows, never extra ones.
"""

import statistics
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import transaction

from analytics import metrics
from analytics.backends import get_engine
from analytics.models import DailyMetric, Signup, UserDay

EPOCH = date(1970, 1, 1)
DAY_MS = 86_400_000

# metric -> (dim, filter) of the counts, all computed in one pass: (dn, metric, dim, value) rows
# over the days {f}..{l}. {text} is the engine's name for the string type.
COUNTS = {
    metrics.MESSAGES: ("''", "type = 'message.created'"),
    metrics.MESSAGES_BY_KIND: ("COALESCE(kind, 'unknown')", "type = 'message.created'"),
    metrics.MESSAGES_BY_CLIENT: ("COALESCE(client, 'unknown')", "type = 'message.created'"),
    metrics.MESSAGES_BY_HOUR: ("CAST(hour AS {text})", "type = 'message.created'"),
    metrics.CHANNEL_MESSAGES: ("conversation_id", "type = 'message.created' AND kind = 'channel'"),
    metrics.NEW_USERS: ("''", "type = 'user.registered'"),
    metrics.REPORTS_OPENED: ("''", "type = 'moderation.reported'"),
    metrics.REPORTS_RESOLVED: ("''", "type = 'moderation.resolved'"),
    metrics.READS: ("''", "type = 'conversation.read'"),
    # A held send's `kind` is the model that held it (spam or abuse), not a conversation kind.
    metrics.HELD: ("COALESCE(kind, 'unknown')", "type = 'moderation.held'"),
    metrics.HELD_APPROVED: ("''", "type = 'moderation.held_approved'"),
    metrics.HELD_REJECTED: ("''", "type = 'moderation.held_rejected'"),
    metrics.NOTIFICATIONS_DELIVERED: ("''", "type = 'notification.delivered'"),
    metrics.NOTIFICATIONS_FAILED: ("''", "type = 'notification.failed'"),
}
# New users count people, not events: a replayed registration under a new id counts once.
COUNTED = {metrics.NEW_USERS: "COUNT(DISTINCT user_id)"}


def _count(metric, dim, where):
    group = "dn" if dim == "''" else f"dn, {dim}"  # PostgreSQL refuses a constant in GROUP BY
    return (
        f"SELECT dn, '{metric}', {dim}, {COUNTED.get(metric, 'COUNT(*)')} FROM {{e}} "  # noqa: S608 # nosec B608 - constants of this module
        f"WHERE {where} AND dn BETWEEN {{f}} AND {{l}} GROUP BY {group}"
    )


COUNT_QUERY = "\nUNION ALL\n".join(_count(metric, dim, where) for metric, (dim, where) in COUNTS.items())

# (dn, dau, wau, actives_15, mau) for each day {f}..{l} that had anyone active in its month
ACTIVES = """
SELECT d.dn,
       COUNT(DISTINCT CASE WHEN u.dn = d.dn THEN u.actor_id END),
       COUNT(DISTINCT CASE WHEN u.dn > d.dn - 7 THEN u.actor_id END),
       COUNT(DISTINCT CASE WHEN u.dn > d.dn - 15 THEN u.actor_id END),
       COUNT(DISTINCT u.actor_id)
FROM {days} d
JOIN (SELECT DISTINCT dn, actor_id FROM {e} WHERE actor_id IS NOT NULL AND dn BETWEEN {lo} AND {l}) u
  ON u.dn > d.dn - 30 AND u.dn <= d.dn
GROUP BY d.dn
"""

# (dn, user_id, messages, events)
USER_DAYS = """
SELECT dn, actor_id, SUM(CASE WHEN type = 'message.created' THEN 1 ELSE 0 END), COUNT(*)
FROM {e} WHERE actor_id IS NOT NULL AND dn BETWEEN {f} AND {l} GROUP BY dn, actor_id
"""

# (user_id, dn of the first registration)
SIGNUPS = """
SELECT user_id, MIN(dn) FROM {e}
WHERE type = 'user.registered' AND user_id IS NOT NULL AND dn BETWEEN {f} AND {l} GROUP BY user_id
"""

# (t0, t1): a direct conversation's first message (the lowest sender id on a tie) and the first
# message after it by anyone else, within the reply window
FIRST_REPLIES = """
WITH m AS (
  SELECT conversation_id, actor_id, ts_ms FROM {e}
  WHERE type = 'message.created' AND kind = 'direct' AND actor_id IS NOT NULL AND dn BETWEEN {lo} AND {hi}
), firsts AS (
  SELECT conversation_id, MIN(ts_ms) AS t0 FROM m GROUP BY conversation_id
), openers AS (
  SELECT firsts.conversation_id, firsts.t0, MIN(m.actor_id) AS sender
  FROM firsts JOIN m ON m.conversation_id = firsts.conversation_id AND m.ts_ms = firsts.t0
  GROUP BY firsts.conversation_id, firsts.t0
)
SELECT openers.t0, MIN(m.ts_ms)
FROM openers JOIN m ON m.conversation_id = openers.conversation_id AND m.actor_id <> openers.sender
  AND m.ts_ms > openers.t0 AND m.ts_ms <= openers.t0 + {window_ms}
GROUP BY openers.conversation_id, openers.t0
"""


def day_number(day):
    return (day - EPOCH).days


def from_number(dn):
    return EPOCH + timedelta(days=int(dn))


@dataclass
class Results:
    daily: list = field(default_factory=list)  # (day, metric, dim, value)
    user_days: list = field(default_factory=list)  # (day, user_id, messages, events)
    signups: list = field(default_factory=list)  # (user_id, day)


def spam_rates(daily):
    """spam_rate per day, from the day's counts: spam holds / (messages sent + sends held)."""
    sends, spam = {}, {}
    for day, metric, dim, value in daily:
        if (metric, dim) == (metrics.MESSAGES, "") or metric == metrics.HELD:
            sends[day] = sends.get(day, 0) + value
        if (metric, dim) == (metrics.HELD, "spam"):
            spam[day] = value
    return [(day, metrics.SPAM_RATE, "", round(spam.get(day, 0) / total, 6)) for day, total in sends.items() if total]


def compute(engine, first, last, data=None, step=lambda name: None):
    """Every metric of first..last on `engine`, as rows (nothing written to the tables)."""
    lo = first - timedelta(days=metrics.LOOKBACK_DAYS)
    hi = last + timedelta(days=metrics.REPLY_WINDOW_DAYS)
    step("stage")
    engine.stage(lo, hi, data)
    names = {
        "e": engine.events,
        "f": day_number(first),
        "l": day_number(last),
        "lo": day_number(lo),
        "hi": day_number(hi),
        "window_ms": metrics.REPLY_WINDOW_DAYS * DAY_MS,
        "days": engine.days(day_number(first), day_number(last)),
        "text": engine.text,
    }
    out = Results()
    step("counts")
    for dn, metric, dim, value in engine.rows(COUNT_QUERY.format(**names)):
        out.daily.append((from_number(dn), metric, str(dim), float(value)))
    out.daily.extend(spam_rates(out.daily))
    step("actives")
    for dn, *values in engine.rows(ACTIVES.format(**names)):
        for metric, value in zip((metrics.DAU, metrics.WAU, metrics.ACTIVES_15, metrics.MAU), values, strict=True):
            if value:
                out.daily.append((from_number(dn), metric, "", float(value)))
    step("first replies")
    delays = {}
    for t0, t1 in engine.rows(FIRST_REPLIES.format(**names)):
        if names["f"] <= t0 // DAY_MS <= names["l"]:
            delays.setdefault(from_number(t0 // DAY_MS), []).append((t1 - t0) / 1000)
    for day, values in delays.items():
        out.daily.append((day, metrics.FIRST_REPLY_MEDIAN, "", round(statistics.median(values), 3)))
        out.daily.append((day, metrics.FIRST_REPLIES, "", float(len(values))))
    step("users")
    out.user_days = [
        (from_number(dn), user, int(sent), int(n)) for dn, user, sent, n in engine.rows(USER_DAYS.format(**names))
    ]
    out.signups = [(user, from_number(dn)) for user, dn in engine.rows(SIGNUPS.format(**names))]
    step("curate")
    engine.finish(first, last, data)
    return out


@transaction.atomic
def load(first, last, results):
    """Replace first..last in the aggregate tables with `results`."""
    DailyMetric.objects.filter(day__range=(first, last)).delete()
    UserDay.objects.filter(day__range=(first, last)).delete()
    Signup.objects.filter(day__range=(first, last)).delete()
    # A user who signed up again in this span (a replayed event) keeps one row: the earliest day.
    Signup.objects.filter(user_id__in=[user for user, _ in results.signups]).delete()
    DailyMetric.objects.bulk_create(
        [DailyMetric(day=d, metric=m, dim=dim, value=v) for d, m, dim, v in results.daily], batch_size=2000
    )
    UserDay.objects.bulk_create(
        [UserDay(day=d, user_id=u, messages=s, events=n) for d, u, s, n in results.user_days], batch_size=2000
    )
    Signup.objects.bulk_create([Signup(user_id=u, day=d) for u, d in results.signups], batch_size=2000)


STEPS = ("stage", "counts", "actives", "first replies", "users", "curate", "load")


def run(first, last, engine=None, data=None, step=lambda name: None):
    """Compute and load first..last; returns how many rows of each table were written."""
    if first > last:
        raise ValueError("the first day comes after the last")
    engine = engine or get_engine()
    results = compute(engine, first, last, data, step)
    step("load")
    load(first, last, results)
    return {"daily": len(results.daily), "user_days": len(results.user_days), "signups": len(results.signups)}
