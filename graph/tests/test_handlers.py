"""The graph follows domain events: idempotently, from the envelope alone, in any order."""

import socket

import pytest

from accounts.actions import do_register
from graph import actions
from graph.backends import Relation, get_backend
from graph.backends.neo4j_nodes import cypher
from graph.handlers import on_graph
from streaming import bus
from streaming.models import OutboxEvent

pytestmark = pytest.mark.django_db

neo4j = pytest.mark.services


def envelopes():
    return [event.envelope() for event in OutboxEvent.objects.order_by("occurred_at")]


def redeliver(items):
    for envelope in items:
        for handler in bus.handlers_for(envelope["type"]):
            if handler.__module__ == "graph.handlers":
                handler(envelope)


def edge_count(space):
    return cypher("MATCH (a:User {space: $space})-[r]->() RETURN count(r)", {"space": space})[0][0]


@neo4j
def test_delivering_every_event_twice_changes_nothing(settings, neo4j_space, deliver, make_user):
    settings.GRAPH_BACKEND = "neo4j"
    ann, ben, cat = make_user("ann"), make_user("ben"), make_user("cat")
    actions.do_send_friend_request(ann, ben)
    actions.do_accept_friend_request(ben, ann)
    actions.do_follow(ann, cat)
    actions.do_send_friend_request(cat, ben)
    deliver()
    edges = edge_count(neo4j_space)
    assert edges == 3
    redeliver(envelopes())
    redeliver(envelopes())
    assert edge_count(neo4j_space) == edges
    assert get_backend().relation(ann.id, ben.id) == Relation(friends=True)


@neo4j
def test_events_delivered_out_of_order_still_leave_the_truth(settings, neo4j_space, make_user):
    settings.GRAPH_BACKEND = "neo4j"
    ann, ben = make_user("ann"), make_user("ben")
    actions.do_send_friend_request(ann, ben)
    actions.do_accept_friend_request(ben, ann)
    actions.do_unfriend(ann, ben)
    actions.do_follow(ben, ann)
    redeliver(reversed(envelopes()))  # unfriended before accepted, follow first
    assert get_backend().relation(ann.id, ben.id) == Relation(followed_by=True)


@neo4j
def test_a_bare_envelope_is_enough(settings, neo4j_space, make_user):
    """A consumer in another process has only the Kafka record: type and payload."""
    settings.GRAPH_BACKEND = "neo4j"
    ann, ben = make_user("ann"), make_user("ben")
    actions.do_block(ann, ben)
    on_graph({"type": "graph.blocked", "payload": {"blocker_id": ann.id, "blocked_id": ben.id}})
    assert get_backend().relation(ben.id, ann.id) == Relation(blocked_by=True)


@neo4j
def test_a_new_user_appears_in_the_mirror_with_their_username(settings, neo4j_space, deliver, db):
    settings.GRAPH_BACKEND = "neo4j"
    user = do_register("newcomer", "plum-Orchard-42-violet")
    deliver()
    rows = cypher("MATCH (u:User {space: $space}) RETURN u.user_id, u.username, u.active", {"space": neo4j_space})
    assert rows == [[user.id, "newcomer", True]]


@neo4j
def test_a_deleted_user_leaves_the_mirror_when_their_pair_is_synced(settings, neo4j_space, deliver, make_user):
    settings.GRAPH_BACKEND = "neo4j"
    ann, ben = make_user("ann"), make_user("ben")
    actions.do_follow(ann, ben)
    deliver()
    envelope = envelopes()[-1]
    ben_id = ben.id
    ben.delete()
    redeliver([envelope])
    rows = cypher("MATCH (u:User {space: $space}) RETURN u.user_id", {"space": neo4j_space})
    assert rows == [[ann.id]]
    assert get_backend().relation(ann.id, ben_id) == Relation()


def test_an_unreachable_neo4j_is_a_transient_error_for_the_consumer(settings, make_user):
    settings.GRAPH_BACKEND = "neo4j"
    settings.NEO4J_URL = f"bolt://127.0.0.1:{closed_port()}"
    ann, ben = make_user("ann"), make_user("ben")
    actions.do_follow(ann, ben)
    with pytest.raises(bus.TransientError):
        on_graph(envelopes()[-1])


def test_with_the_sql_adapter_the_handlers_have_nothing_to_do(settings, make_user, deliver):
    settings.GRAPH_BACKEND = "sql"
    settings.NEO4J_URL = f"bolt://127.0.0.1:{closed_port()}"  # would fail if anything tried Neo4j
    ann, ben = make_user("ann"), make_user("ben")
    actions.do_follow(ann, ben)
    deliver()
    assert not OutboxEvent.objects.filter(sent_at=None).exists()


def closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@neo4j
@pytest.mark.django_db(transaction=True)
def test_without_kafka_the_mirror_follows_each_commit_in_process(settings, neo4j_space, make_user, client_for):
    """The embedded event bus: handlers run right after commit, so the API reads its own writes."""
    settings.GRAPH_BACKEND = "neo4j"
    settings.KAFKA_BOOTSTRAP_SERVERS = ""
    me, ann, ben = make_user("me"), make_user("ann"), make_user("ben")
    api = {user: client_for(user) for user in (me, ann, ben)}
    api[me].put(f"/api/v1/graph/friend-requests/outgoing/{ann.id}")
    api[ann].post(f"/api/v1/graph/friend-requests/incoming/{me.id}/accept")
    api[ben].put(f"/api/v1/graph/friend-requests/outgoing/{ann.id}")
    api[ann].post(f"/api/v1/graph/friend-requests/incoming/{ben.id}/accept")
    suggestions = api[me].get("/api/v1/graph/suggestions").json()["results"]
    assert [(s["user"]["username"], s["reason"]) for s in suggestions] == [("ben", "1 mutual friend")]
    assert api[me].get(f"/api/v1/graph/path/{ben.id}").json()["degrees"] == 2
