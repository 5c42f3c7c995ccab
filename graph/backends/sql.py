"""The embedded default: graph queries straight on the relational tables, which are the truth."""

from django.db import connection
from django.db.models import Q

from accounts.models import Block, User
from chats.selectors import membership_table
from graph.backends.base import (
    MAX_HOPS,
    MUTUAL_FRIEND_WEIGHT,
    SHARED_CONVERSATION_WEIGHT,
    GraphBackend,
    Relation,
    Suggestion,
)
from graph.models import Follow, FriendRequest, Friendship


def _suggestions_sql():
    tables = {
        "friendship": Friendship._meta.db_table,
        "follow": Follow._meta.db_table,
        "request": FriendRequest._meta.db_table,
        "block": Block._meta.db_table,
        "membership": membership_table(),
        "user": User._meta.db_table,
    }
    # One statement, every step an index look-up: friends of friends by (user, friend); each
    # exclusion by a unique pair index; shared conversations by membership (user, conversation).
    # The shared count reads each candidate's memberships against the user's own conversations (a
    # set the planner builds once), so a big public channel costs no more than a small group. It
    # sits in the grouped subquery so that it runs once per candidate (outside, PostgreSQL would
    # inline it into ORDER BY as well).
    # Only table names are interpolated.
    return f"""
        SELECT c.candidate, c.mutual, c.shared FROM (
            SELECT f2.friend_id AS candidate, COUNT(*) AS mutual,
                (SELECT COUNT(*) FROM {tables["membership"]} m
                  WHERE m.user_id = f2.friend_id
                    AND m.conversation_id IN (SELECT mine.conversation_id FROM {tables["membership"]} mine
                                               WHERE mine.user_id = %(me)s)) AS shared
              FROM {tables["friendship"]} f1
              JOIN {tables["friendship"]} f2 ON f2.user_id = f1.friend_id
             WHERE f1.user_id = %(me)s AND f2.friend_id <> %(me)s
             GROUP BY f2.friend_id
        ) c
        JOIN {tables["user"]} u ON u.id = c.candidate
        WHERE u.is_active = %(active)s
          AND NOT EXISTS (SELECT 1 FROM {tables["friendship"]} x
                           WHERE x.user_id = %(me)s AND x.friend_id = c.candidate)
          AND NOT EXISTS (SELECT 1 FROM {tables["follow"]} x
                           WHERE x.follower_id = %(me)s AND x.followee_id = c.candidate)
          AND NOT EXISTS (SELECT 1 FROM {tables["request"]} x
                           WHERE x.from_user_id = %(me)s AND x.to_user_id = c.candidate)
          AND NOT EXISTS (SELECT 1 FROM {tables["request"]} x
                           WHERE x.from_user_id = c.candidate AND x.to_user_id = %(me)s)
          AND NOT EXISTS (SELECT 1 FROM {tables["block"]} x
                           WHERE x.blocker_id = %(me)s AND x.blocked_id = c.candidate)
          AND NOT EXISTS (SELECT 1 FROM {tables["block"]} x
                           WHERE x.blocker_id = c.candidate AND x.blocked_id = %(me)s)
        ORDER BY {MUTUAL_FRIEND_WEIGHT} * c.mutual + {SHARED_CONVERSATION_WEIGHT} * c.shared DESC, c.candidate
        LIMIT %(limit)s
    """  # noqa: S608  # nosec B608 - only the models' own table names are interpolated


class SqlGraph(GraphBackend):
    name = "sql"

    def suggestions(self, user_id, limit):
        with connection.cursor() as cursor:
            cursor.execute(_suggestions_sql(), {"me": user_id, "active": True, "limit": limit})
            return [Suggestion(candidate, mutual, shared) for candidate, mutual, shared in cursor.fetchall()]

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
