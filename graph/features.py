"""The walk's features for the learned ranker, computed in memory over a whole graph.

The same definitions as the adapters' query (RankerWeights: Adamic-Adar, resource allocation
times d(u), ln(1 + mutual), the bounded third step from the `via` friends of friends with the
most resource-allocation mass), plus the signals only a model can weigh: conversations weighted
by 1 / (members - 1), whether the candidate follows the user, both ends' degrees (where friendships
grow by preferential attachment a well-connected stranger is a likelier friend than the mutual
counts say, and how much a mutual friend means depends on how many friends the user has), the
Jaccard share of the two friend lists that is shared, and the candidate's personalized PageRank
from the user (Page et al. 1999; Haveliwala 2002), which counts every path between them, not only
those of two and three steps: on community graphs it is the strongest single signal. The batch computes them on the
live graph, training (graph.ranker) on the graph with its newest friendships held out.
"""

import math
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import partial
from itertools import islice

import numpy as np

NAMES = (
    "adamic_adar",
    "resource_allocation",
    "log_mutual",
    "walk3_ra",
    "walk3_aa",
    "conversations",
    "follows_me",
    "log_degree",
    "log_my_degree",
    "jaccard",
    "pagerank",
)
# PageRank's walk goes on with this probability at each step (networkx's default), and the power
# iteration stops after STEPS steps: what it leaves out weighs at most 0.85^STEPS (under 1%).
DAMPING = 0.85
STEPS = 30
# Users whose PageRank vectors are computed together: one sparse product per step serves them all.
# A block holds (users of the graph) x (its users) floats: at most BLOCK users, and BLOCK_FLOATS.
BLOCK = 256
BLOCK_FLOATS = 4_000_000
# Power iteration costs every friendship of the graph per user, so the whole batch grows with users
# times friendships: on a power-law graph 1.9 ms per user at 5,000 users, 61 ms at 50,000 (51 min
# for all of them). Above this many users the column stays 0, for training and the batch alike, and
# the model learns without it.
PAGERANK_MAX_USERS = 20_000


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


class PageRank:
    """Personalized PageRank over a Graph's friendships, by power iteration on its transition
    matrix (scipy.sparse), for a block of users at once. Scores are scaled by the number of users,
    so that 1 is what a uniform spread would give everyone."""

    def __init__(self, graph: Graph):
        import scipy.sparse as sparse  # only where features are computed: the batch, training

        self.nodes = sorted(n for n, friends in graph.friends.items() if friends)
        self.index = {n: i for i, n in enumerate(self.nodes)}
        rows, columns, values = [], [], []
        for n in self.nodes:
            friends = graph.friends[n]
            for friend in friends:
                # column n sends its walker's mass to its friends, evenly
                rows.append(self.index[friend])
                columns.append(self.index[n])
                values.append(1 / len(friends))
        size = len(self.nodes)
        self.walk = sparse.csr_matrix((values, (rows, columns)), shape=(size, size))

    def of(self, users: list) -> dict:
        """user -> a function from candidates to their scores, for the users who have friends."""
        users = [u for u in users if u in self.index]
        if not users:
            return {}
        start = np.zeros((len(self.nodes), len(users)))
        start[[self.index[u] for u in users], range(len(users))] = 1.0
        scores = start.copy()
        for _ in range(STEPS):
            scores = (1 - DAMPING) * start + DAMPING * (self.walk @ scores)
        scores *= len(self.nodes)
        return {u: partial(self._pick, scores[:, j]) for j, u in enumerate(users)}

    def _pick(self, column, candidates):
        # Every candidate is a friend of someone, hence a node of the walk.
        return column[[self.index[c] for c in candidates]]


def of_users(graph: Graph, users: Iterable, via: int) -> Iterator:
    """(user, candidates, feature matrix, mutual friends per candidate) for each user, in order:
    of_user's, with PageRank computed a block of users at a time."""
    pagerank, users = PageRank(graph), iter(users)
    affordable = len(pagerank.nodes) <= PAGERANK_MAX_USERS
    size = max(1, min(BLOCK, BLOCK_FLOATS // max(1, len(pagerank.nodes))))
    while block := list(islice(users, size)):
        ranks = pagerank.of(block) if affordable else {}
        for user in block:
            yield user, *of_user(graph, user, via, ranks.get(user))


def of_user(graph: Graph, user, via: int, pagerank=None):
    """(candidates, feature matrix with a row per candidate, mutual friends per candidate), for
    everyone within three friendships who is not the user or a friend. Sorted by id. `pagerank`
    gives the candidates' personalized PageRank from the user (of_users computes it; 0 without)."""
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
    rows, my_degree = [], math.log1p(du)
    ranks = pagerank(candidates) if pagerank and candidates else [0.0] * len(candidates)
    for c, rank in zip(candidates, ranks, strict=True):
        shared = mine & graph.conversations.get(c, set())
        conv = sum(1 / (graph.sizes[m] - 1) for m in shared if graph.sizes.get(m, 0) > 1)
        follows = float(c in graph.followers.get(user, ()))
        dc = len(adj[c])
        shared_friends = cn[c] / (du + dc - cn[c]) if du + dc else 0.0
        rows.append(
            [
                *(aa[c], ra[c] * du, math.log1p(cn[c]), r3[c] * du, a3[c], conv, follows),
                *(math.log1p(dc), my_degree, shared_friends, rank),
            ]
        )
    return candidates, np.array(rows, dtype=float).reshape(-1, len(NAMES)), [cn[c] for c in candidates]
