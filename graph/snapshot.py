"""The whole social graph read once from the relational truth, for the batch and for training.

Friendships come oldest first (training holds out the newest); the pairs a user must never be
suggested (follows, requests either way, blocks either way, dismissals) come as one set of
(user, candidate) pairs. One pass over each table, a few columns wide.
"""

from collections import Counter

from django.db.models import F

from accounts.models import Block, User
from chats.selectors import all_memberships
from graph.features import Graph
from graph.models import Follow, FriendRequest, Friendship, SuggestionDismissal


def friendships_oldest_first():
    """(a, b) with a < b, by creation time."""
    rows = Friendship.objects.filter(user_id__lt=F("friend_id")).order_by("created_at", "pk")
    return list(rows.values_list("user_id", "friend_id"))


def graph_of(edges):
    """A features.Graph with these friendships, and the truth's follows and conversations."""
    graph = Graph()
    for a, b in edges:
        graph.befriend(a, b)
    for follower, followee in Follow.objects.values_list("follower_id", "followee_id").iterator(chunk_size=10_000):
        graph.followers[followee].add(follower)
    memberships = list(all_memberships().values_list("user_id", "conversation_id").iterator(chunk_size=10_000))
    for user, conversation in memberships:
        graph.conversations[user].add(conversation)
    graph.sizes = dict(Counter(conversation for _, conversation in memberships))
    return graph


def refused_pairs():
    """(user, candidate) pairs never to suggest, whatever the features say."""
    pairs = set()
    for model, a, b in (
        (Follow, "follower_id", "followee_id"),
        (FriendRequest, "from_user_id", "to_user_id"),
        (Block, "blocker_id", "blocked_id"),
    ):
        for x, y in model.objects.values_list(a, b).iterator(chunk_size=10_000):
            pairs.add((x, y))
            if model is not Follow:  # requests and blocks keep both apart; a follow only the follower
                pairs.add((y, x))
    pairs.update(SuggestionDismissal.objects.values_list("user_id", "dismissed_id").iterator(chunk_size=10_000))
    return pairs


def active_user_ids():
    return set(User.objects.filter(is_active=True).values_list("pk", flat=True))
