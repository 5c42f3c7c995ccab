"""The walk's features for the learned ranker, computed in memory over a whole graph.

The same definitions as the adapters' query (RankerWeights: Adamic-Adar, resource allocation
times d(u), ln(1 + mutual), the bounded third step from the `via` friends of friends with the
most resource-allocation mass), plus the signals only a model can weigh: conversations weighted
by 1 / (members - 1), and whether the candidate follows the user. The batch computes them on the
live graph, training (graph.ranker) on the graph with its newest friendships held out.
"""

import math
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

NAMES = ("adamic_adar", "resource_allocation", "log_mutual", "walk3_ra", "walk3_aa", "conversations", "follows_me")


@dataclass
class Graph:
    """What the features read: friends, who follows whom, conversation members."""

    friends: dict = field(default_factory=lambda: defaultdict(set))  # user -> friends
    followers: dict = field(default_factory=lambda: defaultdict(set))  # user -> who follows them
    conversations: dict = field(default_factory=lambda: defaultdict(set))  # user -> conversation ids
    sizes: dict = field(default_factory=dict)  # conversation id -> members

    def befriend(self, a, b):
        self.friends[a].add(b)
        self.friends[b].add(a)


def of_user(graph: Graph, user, via: int):
    """(candidates, feature matrix with a row per candidate, mutual friends per candidate), for
    everyone within three friendships who is not the user or a friend. Sorted by id."""
    adj = graph.friends
    cn, aa, ra = defaultdict(int), defaultdict(float), defaultdict(float)
    for z in adj[user]:
        dz = len(adj[z])
        for y in adj[z]:
            if y != user:
                cn[y] += 1
                aa[y] += 1 / math.log(dz) if dz > 1 else 0.0
                ra[y] += 1 / dz
    r3, a3 = defaultdict(float), defaultdict(float)
    for y, _ in sorted(ra.items(), key=lambda kv: (-round(kv[1], 9), kv[0]))[:via]:
        dy = len(adj[y])
        for c in adj[y]:
            if c != user:
                r3[c] += ra[y] / dy
                a3[c] += aa[y] / dy
    candidates = sorted((set(cn) | set(r3)) - adj[user] - {user})
    du = len(adj[user])
    mine = graph.conversations.get(user, set())
    rows = []
    for c in candidates:
        shared = mine & graph.conversations.get(c, set())
        conv = sum(1 / (graph.sizes[m] - 1) for m in shared if graph.sizes.get(m, 0) > 1)
        follows = float(c in graph.followers.get(user, ()))
        rows.append([aa[c], ra[c] * du, math.log1p(cn[c]), r3[c] * du, a3[c], conv, follows])
    return candidates, np.array(rows, dtype=float).reshape(-1, len(NAMES)), [cn[c] for c in candidates]
