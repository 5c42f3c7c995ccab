"""Domain events the graph follows. Today they run in-process after commit; the Kafka consumers
call the same functions. Each works from the envelope alone and re-reads the truth (graph.mirror),
so a duplicate, late or reordered event is harmless."""

from functools import wraps

from graph import mirror
from graph.backends import GraphUnavailable
from streaming import bus

# Payload fields that name the two users of a graph.* event, by event type.
PAIR_FIELDS = {
    "graph.followed": ("follower_id", "followee_id"),
    "graph.unfollowed": ("follower_id", "followee_id"),
    "graph.friend_requested": ("from_id", "to_id"),
    "graph.friend_request_closed": ("from_id", "to_id"),
    "graph.blocked": ("blocker_id", "blocked_id"),
    "graph.unblocked": ("blocker_id", "blocked_id"),
}


def _retry_when_unreachable(handler):
    """A Neo4j outage is transient: the consumer should retry the event, not park it as poison."""

    @wraps(handler)
    def run(envelope):
        try:
            handler(envelope)
        except GraphUnavailable as error:
            raise bus.TransientError(str(error)) from error

    return run


@bus.handles("user.registered", "user.updated", "user.deactivated", "user.reactivated", "user.banned", "user.unbanned")
@_retry_when_unreachable
def on_user(envelope):
    mirror.sync_user(int(envelope["payload"]["user_id"]))


@bus.handles("graph.*")
@_retry_when_unreachable
def on_graph(envelope):
    payload = envelope["payload"]
    if "user_ids" in payload:  # graph.friend_accepted, graph.unfriended
        a_id, b_id = payload["user_ids"]
    elif envelope["type"] in PAIR_FIELDS:
        first, second = PAIR_FIELDS[envelope["type"]]
        a_id, b_id = payload[first], payload[second]
    else:
        return  # a graph event about no pair (none today): nothing to mirror
    mirror.sync_pair(int(a_id), int(b_id))


@bus.handles("member.joined", "member.left")
@_retry_when_unreachable
def on_membership(envelope):
    payload = envelope["payload"]
    mirror.sync_membership(int(payload["user_id"]), payload["conversation_id"])
