"""The social graph port: the reads that need a graph engine, and the hooks that keep a mirror current.

The relational tables (graph.models) are the truth for follows, friendships, requests and blocks.
An adapter either reads them directly (sql) or keeps a read-optimised copy (neo4j) that
graph.mirror brings up to date from the truth, one user, pair or membership at a time.
"""

from abc import ABC, abstractmethod
from dataclasses import dataclass, fields

MAX_HOPS = 4


@dataclass(frozen=True)
class RankerWeights:
    """People you may know: a linear model over walk features from the user, three hops deep.

    For a candidate c of user u, with d(x) the number of friends of x:
    - adamic_adar: the Adamic-Adar index, sum over mutual friends z of 1 / ln d(z);
    - resource_allocation: the resource allocation index (sum of 1 / d(z)), times d(u), which makes
      it the mass a two-step random walk from u leaves on c, scaled to u's own friends;
    - log_mutual: ln(1 + mutual friends);
    - walk3_ra, walk3_aa: a third step of the walk, from the `via` friends of friends that hold
      the most resource-allocation mass (ties by user id): each passes its resource allocation
      (times d(u)) or its Adamic-Adar index, split evenly over its own friends. It reaches people
      three friendships away, as personalized PageRank does, at a bounded cost;
    - conversations: sum over conversations both are in of 1 / (members - 1), so a 3-person
      group counts fifty times a 100-member channel. Computed for the best `pool` candidates by
      the graph features only, which it re-ranks.

    The defaults were fitted by coordinate ascent on hit@10 + MRR (`python -m bench.pymk --fit`,
    on generated graphs of both families with other seeds than the evaluation's); the
    conversation weight was chosen, not fitted: the generated graphs have no conversations.
    """

    adamic_adar: float = 1.5
    resource_allocation: float = 0.3
    log_mutual: float = 0.3
    walk3_ra: float = 1.4
    walk3_aa: float = 1.3
    conversations: float = 0.5
    via: int = 100
    pool: int = 50


DEFAULT_WEIGHTS = RankerWeights()

# Scores are rounded to this many decimals before they are ordered (ties then go by user id), so
# that float sums taken in another order, or another libm's ln, never reorder two backends' answers.
SCORE_DECIMALS = 9


class GraphUnavailable(Exception):
    """The graph store can't be reached; the API answers 503."""


@dataclass(frozen=True)
class Relation:
    """Everything between users a and b, seen from a. Also the state a mirror copies for the pair."""

    follows: bool = False  # a follows b
    followed_by: bool = False  # b follows a
    friends: bool = False
    request_sent: bool = False  # a asked b
    request_received: bool = False  # b asked a
    blocks: bool = False  # a blocks b
    blocked_by: bool = False  # b blocks a

    def flipped(self):
        """The same relation seen from b."""
        return Relation(
            follows=self.followed_by,
            followed_by=self.follows,
            friends=self.friends,
            request_sent=self.request_received,
            request_received=self.request_sent,
            blocks=self.blocked_by,
            blocked_by=self.blocks,
        )

    def as_dict(self):
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class Suggestion:
    user_id: int
    mutual_friends: int
    shared_conversations: int

    @property
    def reason(self):
        # No mutual friend: the walk reached them in three steps, and no fewer.
        parts = [_count(self.mutual_friends, "mutual friend") if self.mutual_friends else "3 friendships away"]
        if self.shared_conversations:
            parts.append(_count(self.shared_conversations, "shared conversation"))
        return " · ".join(parts)


def _count(n, noun):
    return f"{n} {noun}{'' if n == 1 else 's'}"


class GraphBackend(ABC):
    name = ""
    mirrors = False  # True: graph.mirror must copy every change of the truth into it
    weights = RankerWeights()

    def suggestions(self, user_id: int, limit: int) -> list[Suggestion]:
        """People within three friendships, best first (see `ranked`)."""
        return [suggestion for suggestion, _ in self.ranked(user_id, limit)]

    @abstractmethod
    def ranked(self, user_id: int, limit: int) -> list[tuple[Suggestion, float]]:
        """People within three friendships with their scores, best first by the RankerWeights
        model (see there), then by user id. One query, whose work is bounded by the user's
        friends, their friends, and the friends of at most `weights.via` of those. This is the
        live walk: the nightly batch (graph.batch) stores its answers, which the request path reads.

        Leaves out the user, inactive users, friends, anyone with a pending request either way,
        anyone the user follows, and anyone either of the two blocks.
        """

    @abstractmethod
    def path(self, from_id: int, to_id: int, max_hops: int = MAX_HOPS) -> list[int] | None:
        """User ids of a shortest chain of friendships from one user to the other (both included),
        or None when there is none within max_hops friendships. The two users must differ."""

    @abstractmethod
    def relation(self, a_id: int, b_id: int) -> Relation:
        """What is between the two users, as the adapter sees it."""

    # Mirror hooks, for adapters with `mirrors = True`: graph.mirror calls them with the truth read
    # from the relational tables. Each sets the state outright, so applying it twice, or late, or
    # out of order, ends the same.

    def put_user(self, user_id: int, *, username: str, active: bool) -> None:
        """The user exists with these properties."""
        raise NotImplementedError(f"{self.name} is not a mirror")

    def remove_user(self, user_id: int) -> None:
        """The user is gone, with everything attached to them."""
        raise NotImplementedError(f"{self.name} is not a mirror")

    def put_pair(self, a_id: int, b_id: int, relation: Relation) -> None:
        """Between a and b there is exactly `relation` (seen from a)."""
        raise NotImplementedError(f"{self.name} is not a mirror")

    def put_membership(self, user_id: int, conversation_id: str, member: bool) -> None:
        """The user is (or is not) a member of the conversation."""
        raise NotImplementedError(f"{self.name} is not a mirror")
