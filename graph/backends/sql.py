"""The embedded default: graph queries straight on the relational tables, which are the truth."""

from django.db import connection
from django.db.models import Q

from accounts.models import Block, User
from chats.selectors import membership_table
from graph.backends.base import (
    DEFAULT_WEIGHTS,
    MAX_HOPS,
    SCORE_DECIMALS,
    GraphBackend,
    Relation,
    Suggestion,
)
from graph.models import Follow, FriendRequest, Friendship


def known_sql():
    """The users %(me)s is never suggested by the walk: friends, follows, requests either way, blocks
    either way. A SELECT of one column, for a NOT IN."""
    t = {
        "friendship": Friendship._meta.db_table,
        "follow": Follow._meta.db_table,
        "request": FriendRequest._meta.db_table,
        "block": Block._meta.db_table,
    }
    return f"""
            SELECT friend_id AS id FROM {t["friendship"]} WHERE user_id = %(me)s
            UNION SELECT followee_id FROM {t["follow"]} WHERE follower_id = %(me)s
            UNION SELECT to_user_id FROM {t["request"]} WHERE from_user_id = %(me)s
            UNION SELECT from_user_id FROM {t["request"]} WHERE to_user_id = %(me)s
            UNION SELECT blocked_id FROM {t["block"]} WHERE blocker_id = %(me)s
            UNION SELECT blocker_id FROM {t["block"]} WHERE blocked_id = %(me)s"""  # noqa: S608  # nosec B608 - table names only


def _suggestions_sql(weights=DEFAULT_WEIGHTS):
    t = {
        "friendship": Friendship._meta.db_table,
        "membership": membership_table(),
        "user": User._meta.db_table,
    }
    w = weights
    places = SCORE_DECIMALS
    # One statement (PostgreSQL and SQLite alike). Every step reads friendships by (user, friend):
    # my friends and their degrees; their friends (the two-step walk); the `via` friends of friends
    # with the most mass, their degrees and their friends (the third step). Only the `pool` best
    # candidates by the graph score pay for the conversation look-ups, which then re-rank them.
    # Degrees are cast to double so that every division is a float one on both engines.
    # Only table names and the model's own numbers are interpolated.
    return f"""
        WITH mine AS (
            SELECT friend_id AS z FROM {t["friendship"]} WHERE user_id = %(me)s
        ), known AS ({known_sql()}
        ), zdeg AS (
            SELECT f.user_id AS z, CAST(COUNT(*) AS DOUBLE PRECISION) AS d
              FROM {t["friendship"]} f WHERE f.user_id IN (SELECT z FROM mine) GROUP BY f.user_id
        ), two AS (
            SELECT f.friend_id AS y, COUNT(*) AS cn, SUM(1 / zd.d) AS ra,
                   SUM(CASE WHEN zd.d > 1 THEN 1 / LN(zd.d) ELSE 0 END) AS aa
              FROM zdeg zd JOIN {t["friendship"]} f ON f.user_id = zd.z
             WHERE f.friend_id <> %(me)s
             GROUP BY f.friend_id
        ), via AS (
            SELECT y, ra, aa FROM two ORDER BY ROUND(CAST(ra AS NUMERIC), {places}) DESC, y LIMIT {int(w.via)}
        ), viadeg AS (
            SELECT v.y, v.ra, v.aa, CAST(COUNT(*) AS DOUBLE PRECISION) AS d
              FROM via v JOIN {t["friendship"]} f ON f.user_id = v.y
             GROUP BY v.y, v.ra, v.aa
        ), three AS (
            SELECT f.friend_id AS c, SUM(v.ra / v.d) AS r3, SUM(v.aa / v.d) AS a3
              FROM viadeg v JOIN {t["friendship"]} f ON f.user_id = v.y
             WHERE f.friend_id <> %(me)s
             GROUP BY f.friend_id
        ), walk AS (
            SELECT c, SUM(cn) AS cn, SUM(ra) AS ra, SUM(aa) AS aa, SUM(r3) AS r3, SUM(a3) AS a3 FROM (
                SELECT y AS c, cn, ra, aa, 0 AS r3, 0 AS a3 FROM two
                UNION ALL SELECT c, 0, 0, 0, r3, a3 FROM three
            ) parts GROUP BY c
        ), scored AS (
            SELECT x.c, x.cn, x.score FROM (
                SELECT w.c, w.cn,
                       {float(w.adamic_adar)!r} * w.aa
                       + {float(w.resource_allocation)!r} * w.ra * (SELECT COUNT(*) FROM mine)
                       + {float(w.log_mutual)!r} * LN(1 + w.cn)
                       + {float(w.walk3_ra)!r} * w.r3 * (SELECT COUNT(*) FROM mine)
                       + {float(w.walk3_aa)!r} * w.a3 AS score
                  FROM walk w JOIN {t["user"]} u ON u.id = w.c
                 WHERE u.is_active = %(active)s AND w.c NOT IN (SELECT id FROM known)
            ) x
             ORDER BY ROUND(CAST(x.score AS NUMERIC), {places}) DESC, x.c
             LIMIT {int(w.pool)} + %(limit)s
        ), shared AS (
            SELECT m.user_id AS c, m.conversation_id AS conv FROM {t["membership"]} m
             WHERE m.user_id IN (SELECT c FROM scored)
               AND m.conversation_id IN (SELECT conversation_id FROM {t["membership"]} WHERE user_id = %(me)s)
        ), sizes AS (
            SELECT m.conversation_id AS conv, CAST(COUNT(*) AS DOUBLE PRECISION) AS n FROM {t["membership"]} m
             WHERE m.conversation_id IN (SELECT conv FROM shared) GROUP BY m.conversation_id
        ), conv AS (
            SELECT s.c, COUNT(*) AS shared, SUM(1 / (z.n - 1)) AS weight
              FROM shared s JOIN sizes z ON z.conv = s.conv GROUP BY s.c
        )
        SELECT c, cn, shared, score FROM (
            SELECT s.c, s.cn, COALESCE(v.shared, 0) AS shared,
                   s.score + {float(w.conversations)!r} * COALESCE(v.weight, 0) AS score
              FROM scored s LEFT JOIN conv v ON v.c = s.c
        ) final
         ORDER BY ROUND(CAST(score AS NUMERIC), {places}) DESC, c
         LIMIT %(limit)s
    """  # noqa: S608  # nosec B608 - only the models' table names and the model's numbers are interpolated


class SqlGraph(GraphBackend):
    name = "sql"

    def __init__(self, weights=None):
        if weights is not None:
            self.weights = weights

    def ranked(self, user_id, limit):
        with connection.cursor() as cursor:
            cursor.execute(_suggestions_sql(self.weights), {"me": user_id, "active": True, "limit": limit})
            return [(Suggestion(c, mutual, shared), score) for c, mutual, shared, score in cursor.fetchall()]

    def path(self, from_id, to_id, max_hops=MAX_HOPS):
        """Breadth first from both ends, always growing the smaller frontier: one query per step,
        at most max_hops steps, and each step reads only the friends of one frontier."""
        parents = {from_id: None}  # forward side: node -> the node it was reached from
        children = {to_id: None}  # backward side: node -> the node it leads to
        forward, backward = {from_id}, {to_id}
        for _ in range(max_hops):
            grow_forward = len(forward) <= len(backward)
            frontier, seen, other = (forward, parents, children) if grow_forward else (backward, children, parents)
            edges = Friendship.objects.filter(user_id__in=frontier).values_list("user_id", "friend_id")
            reached = set()
            for node, friend in sorted(edges):
                if friend not in seen:
                    seen[friend] = node
                    reached.add(friend)
            meet = sorted(reached & set(other))
            if meet:
                return _join(parents, children, meet[0])
            if not reached:
                return None
            if grow_forward:
                forward = reached
            else:
                backward = reached
        return None

    def relation(self, a_id, b_id):
        def who_points(model, source, target):
            """Which of the two has a row pointing at the other."""
            either = Q(**{source: a_id, target: b_id}) | Q(**{source: b_id, target: a_id})
            return set(model.objects.filter(either).values_list(source, flat=True))

        follows = who_points(Follow, "follower_id", "followee_id")
        requests = who_points(FriendRequest, "from_user_id", "to_user_id")
        blocks = who_points(Block, "blocker_id", "blocked_id")
        return Relation(
            follows=a_id in follows,
            followed_by=b_id in follows,
            friends=Friendship.objects.filter(user_id=a_id, friend_id=b_id).exists(),
            request_sent=a_id in requests,
            request_received=b_id in requests,
            blocks=a_id in blocks,
            blocked_by=b_id in blocks,
        )


def _join(parents, children, meet):
    path = []
    node = meet
    while node is not None:
        path.append(node)
        node = parents[node]
    path.reverse()
    node = children[meet]
    while node is not None:
        path.append(node)
        node = children[node]
    return path
