"""People you may know on the request path: the batch's stored candidates (graph.batch), checked
against the truth and merged with the friendships made since, in a fixed number of queries.

- Stored candidates who have since become friends, been followed, asked or asking, blocked
  either way, dismissed, or deactivated are dropped.
- A friendship made after the batch brings the new friend's friends in: each gets the walk's
  two-step share through that friend (its Adamic-Adar, resource allocation and mutual-friend
  terms, RankerWeights), added to their stored score if they have one.
- The counts behind the reason ("5 mutual friends", "in 2 shared conversations") are recounted
  for the page shown, so a reason is never older than the request.

A user the batch has never seen (new, or no batch run yet) is ranked live by the adapter.
"""

import math

from django.db import connection

from accounts.models import User
from chats.selectors import membership_table
from graph.backends import Suggestion, get_backend
from graph.backends.base import SCORE_DECIMALS
from graph.backends.sql import known_sql
from graph.models import Friendship, StoredSuggestion, SuggestionDismissal, SuggestionRun

# Fresh friendships merged per request: the newest ones; the next batch counts them all.
FRESH_FRIENDS = 20


def ranked(user_id: int, limit: int) -> list[Suggestion]:
    batched, scores = _merged(user_id)
    if not batched:
        return _live(user_id, limit)
    page = sorted(scores, key=lambda c: (-round(scores[c], SCORE_DECIMALS), c))[:limit]
    mutual, shared = _counts(user_id, page)
    return [Suggestion(c, mutual.get(c, 0), shared.get(c, 0)) for c in page]


def _live(user_id, limit):
    dismissed = set(SuggestionDismissal.objects.filter(user_id=user_id).values_list("dismissed_id", flat=True))
    # Asking for as many more as were dismissed still fills the page after they are dropped.
    found = get_backend().suggestions(user_id, limit + len(dismissed))
    return [s for s in found if s.user_id not in dismissed][:limit]


def _tables():
    return {
        "stored": StoredSuggestion._meta.db_table,
        "run": SuggestionRun._meta.db_table,
        "dismissal": SuggestionDismissal._meta.db_table,
        "friendship": Friendship._meta.db_table,
        "membership": membership_table(),
        "user": User._meta.db_table,
    }


def _unwanted(t):
    """Who may not be suggested to %(me)s now: the walk's `known` and the dismissed."""
    return f"""{known_sql()}
            UNION SELECT dismissed_id FROM {t["dismissal"]} WHERE user_id = %(me)s"""  # noqa: S608  # nosec B608 - table names only


def _merged(user_id):
    """(whether the batch has seen the user, {candidate: score}) in one statement: the stored
    rows still allowed, plus the friends of friendships made since the batch, each with the walk's
    two-step share through that friend (Adamic-Adar, resource allocation and the first mutual
    friend's ln 2), added to their stored score if they have one."""
    t = _tables()
    sql = f"""
        WITH run AS (
            SELECT computed_at FROM {t["run"]} WHERE user_id = %(me)s
        ), unwanted AS ({_unwanted(t)}
        ), new AS (
            SELECT friend_id AS z FROM {t["friendship"]}
             WHERE user_id = %(me)s AND created_at > (SELECT computed_at FROM run)
             ORDER BY created_at DESC LIMIT {FRESH_FRIENDS}
        ), zdeg AS (
            SELECT f.user_id AS z, CAST(COUNT(*) AS DOUBLE PRECISION) AS d FROM {t["friendship"]} f
             WHERE f.user_id IN (SELECT z FROM new) GROUP BY f.user_id
        )
        SELECT 'r', NULL, NULL FROM run
        UNION ALL
        SELECT 's', s.candidate_id, s.score FROM {t["stored"]} s JOIN {t["user"]} u ON u.id = s.candidate_id
         WHERE s.user_id = %(me)s AND u.is_active = %(active)s AND s.candidate_id NOT IN (SELECT id FROM unwanted)
        UNION ALL
        SELECT 'f', f.friend_id, zd.d FROM zdeg zd JOIN {t["friendship"]} f ON f.user_id = zd.z
          JOIN {t["user"]} u ON u.id = f.friend_id
         WHERE f.friend_id <> %(me)s AND u.is_active = %(active)s AND f.friend_id NOT IN (SELECT id FROM unwanted)
        UNION ALL
        SELECT 'd', NULL, CAST(COUNT(*) AS DOUBLE PRECISION) FROM {t["friendship"]}
         WHERE user_id = %(me)s AND EXISTS (SELECT 1 FROM new)
    """  # noqa: S608  # nosec B608 - table names and a constant only
    with connection.cursor() as cursor:
        cursor.execute(sql, {"me": user_id, "active": True})
        rows = cursor.fetchall()
    batched = any(kind == "r" for kind, _, _ in rows)
    scores = {candidate: value for kind, candidate, value in rows if kind == "s"}
    du = next((value for kind, _, value in rows if kind == "d"), 0.0)
    w = get_backend().weights
    for kind, candidate, d in rows:
        if kind == "f":
            share = w.adamic_adar * (1 / math.log(d) if d > 1 else 0.0) + w.resource_allocation * du / d
            scores[candidate] = scores.get(candidate, 0.0) + share + w.log_mutual * math.log(2)
    return batched, scores


def _counts(user_id, page):
    """({candidate: mutual friends now}, {candidate: shared conversations now}), in one query."""
    if not page:
        return {}, {}
    t = _tables()
    marks = ", ".join(f"%(p{i})s" for i in range(len(page)))
    sql = f"""
        SELECT 'm', b.friend_id, COUNT(*) FROM {t["friendship"]} a JOIN {t["friendship"]} b ON b.user_id = a.friend_id
         WHERE a.user_id = %(me)s AND b.friend_id IN ({marks}) GROUP BY b.friend_id
        UNION ALL
        SELECT 'c', theirs.user_id, COUNT(*) FROM {t["membership"]} mine
          JOIN {t["membership"]} theirs ON theirs.conversation_id = mine.conversation_id
         WHERE mine.user_id = %(me)s AND theirs.user_id IN ({marks}) GROUP BY theirs.user_id
    """  # noqa: S608  # nosec B608 - table names and placeholders only
    counts = {"m": {}, "c": {}}
    with connection.cursor() as cursor:
        cursor.execute(sql, {"me": user_id, **{f"p{i}": c for i, c in enumerate(page)}})
        for kind, candidate, n in cursor.fetchall():
            counts[kind][candidate] = n
    return counts["m"], counts["c"]
