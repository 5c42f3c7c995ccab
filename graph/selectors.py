"""Reads of the social graph. The block selectors cost one query each; chats calls them on every send."""

from dataclasses import dataclass

from accounts.models import Block, User
from graph import suggest
from graph.backends import Relation, Suggestion, get_backend, sql_graph
from graph.backends.base import MAX_HOPS
from graph.models import Follow, FriendRequest, Friendship


def blocks_made(user_id: int) -> list[Block]:
    """The user's blocks, newest first, with the blocked user loaded."""
    return list(Block.objects.filter(blocker_id=user_id).select_related("blocked").order_by("-created_at", "-pk"))


# --- follows, friends, requests: lists newest first, paged by the row id, one query per page ---


@dataclass(frozen=True)
class Page:
    items: list  # (user, since) pairs
    next_cursor: int | None


def following(user_id: int, *, limit: int, cursor: int | None = None) -> Page:
    return _page(Follow.objects.filter(follower_id=user_id), "followee", limit, cursor)


def followers(user_id: int, *, limit: int, cursor: int | None = None) -> Page:
    return _page(Follow.objects.filter(followee_id=user_id), "follower", limit, cursor)


def friends(user_id: int, *, limit: int, cursor: int | None = None) -> Page:
    return _page(Friendship.objects.filter(user_id=user_id), "friend", limit, cursor)


def incoming_requests(user_id: int, *, limit: int, cursor: int | None = None) -> Page:
    return _page(FriendRequest.objects.filter(to_user_id=user_id), "from_user", limit, cursor)


def outgoing_requests(user_id: int, *, limit: int, cursor: int | None = None) -> Page:
    return _page(FriendRequest.objects.filter(from_user_id=user_id), "to_user", limit, cursor)


def _page(rows, other, limit, cursor):
    if cursor is not None:
        rows = rows.filter(pk__lt=cursor)
    # Inactive users stay in the tables (a suspension is not an unfriending) but not in the lists.
    rows = list(rows.filter(**{f"{other}__is_active": True}).select_related(other).order_by("-pk")[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return Page([(getattr(row, other), row.created_at) for row in rows], rows[-1].pk if more else None)


def relation(a_id: int, b_id: int) -> Relation:
    """What is between two users, from the relational truth (never a lagging mirror)."""
    return sql_graph().relation(a_id, b_id)


# --- graph queries, through the adapter that GRAPH_BACKEND selects ---


@dataclass(frozen=True)
class SuggestedUser:
    user: User
    suggestion: Suggestion


def suggestions(user_id: int, *, limit: int = 10) -> list[SuggestedUser]:
    """People the user may know, best first, with their profiles: the batch's stored candidates
    merged with what changed since (graph.suggest), or the live walk for a user the batch hasn't
    seen. Never anyone the user dismissed, blocked or is blocked by."""
    ranked = suggest.ranked(user_id, limit)
    users = User.objects.filter(is_active=True).in_bulk([s.user_id for s in ranked])
    return [SuggestedUser(users[s.user_id], s) for s in ranked if s.user_id in users]


def path(from_id: int, to_id: int) -> list[User] | None:
    """The users along a shortest chain of friendships from one user to the other, both ends
    included (just the user, to themselves), or None beyond MAX_HOPS friendships."""
    ids = [from_id] if from_id == to_id else get_backend().path(from_id, to_id, MAX_HOPS)
    if ids is None:
        return None
    users = User.objects.in_bulk(ids)
    if len(users) != len(set(ids)):
        return None  # a mirror that still has a deleted user: no path the truth would show
    return [users[user_id] for user_id in ids]
