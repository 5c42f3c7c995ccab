"""The Neo4j mirror's data model (neomodel 7) and its one process-wide connection.

Several datasets can share one Neo4j database (Community has only one): every node carries the
`space` it belongs to (GRAPH_NEO4J_SPACE: the deployment, a test, the benchmark), and its `key`,
"<space>:<id>", is what the unique constraint holds. Edges never cross spaces, so a traversal that
starts from a keyed node stays in its space.

    (:User {key, space, user_id, username, active})
    (:Conversation {key, space, conversation_id})
    (:User)-[:FOLLOWS]->(:User)      one per direction
    (:User)-[:FRIEND]->(:User)       one per friendship, from the lower user id; read undirected
    (:User)-[:REQUESTED]->(:User)    a pending friend request
    (:User)-[:BLOCKS]->(:User)
    (:User)-[:MEMBER_OF]->(:Conversation)

`at` (ms since the epoch) stamps every node and edge on each write, and `run` names the rebuild
that last confirmed it: a rebuild's final sweep deletes what it didn't confirm and nobody touched
since it began.
"""

import io
import threading
from urllib.parse import unquote, urlsplit

from django.conf import settings
from neo4j import GraphDatabase
from neo4j.exceptions import Neo4jError, ServiceUnavailable, SessionExpired, TransientError
from neomodel import (
    BooleanProperty,
    IntegerProperty,
    Relationship,
    RelationshipTo,
    StringProperty,
    StructuredNode,
    StructuredRel,
    db,
)

from graph.backends.base import GraphUnavailable

# Failures worth retrying later (the server is away, or a deadlock or timeout it asks us to retry),
# as opposed to a bad query, which is a bug.
RETRYABLE = (ServiceUnavailable, SessionExpired, TransientError, OSError)


class MirrorEdge(StructuredRel):
    at = IntegerProperty()
    run = StringProperty()


class UserNode(StructuredNode):
    __label__ = "User"
    key = StringProperty(unique_index=True, required=True)
    space = StringProperty(index=True, required=True)
    user_id = IntegerProperty(required=True)
    username = StringProperty()
    active = BooleanProperty(default=True)
    at = IntegerProperty()
    run = StringProperty()

    follows = RelationshipTo("UserNode", "FOLLOWS", model=MirrorEdge)
    friends = Relationship("UserNode", "FRIEND", model=MirrorEdge)
    requested = RelationshipTo("UserNode", "REQUESTED", model=MirrorEdge)
    blocks = RelationshipTo("UserNode", "BLOCKS", model=MirrorEdge)
    conversations = RelationshipTo("ConversationNode", "MEMBER_OF", model=MirrorEdge)


class ConversationNode(StructuredNode):
    __label__ = "Conversation"
    key = StringProperty(unique_index=True, required=True)
    space = StringProperty(index=True, required=True)
    conversation_id = StringProperty(required=True)
    at = IntegerProperty()
    run = StringProperty()


class RebuildCheckpoint(StructuredNode):
    """How far an interrupted `rebuild_graph` got, one per space. Written in the same transaction
    as the batch it follows, so a crash never separates the two."""

    __label__ = "GraphRebuild"
    space = StringProperty(unique_index=True, required=True)
    run = StringProperty()
    started = IntegerProperty()
    phase = StringProperty()
    last = StringProperty()  # the last primary key copied in that phase, as text (ints and UUIDs)


NODE_CLASSES = (UserNode, ConversationNode, RebuildCheckpoint)

_connected_url = None
_lock = threading.Lock()


def connect():
    """Point neomodel at NEO4J_URL (once per process, again if the setting changes).

    The URL may carry credentials (bolt://user:password@host:port); without them the driver
    connects with no auth, as a server with dbms.security.auth_enabled=false expects. neomodel's
    own URL parsing insists on credentials, hence the driver made here.
    """
    global _connected_url
    url = settings.NEO4J_URL
    if not url:
        raise GraphUnavailable("NEO4J_URL is not set.")
    if url == _connected_url:
        return
    with _lock:
        if url == _connected_url:
            return
        parts = urlsplit(url)
        auth = (unquote(parts.username), unquote(parts.password or "")) if parts.username else None
        address = f"{parts.scheme}://{parts.hostname}:{parts.port or 7687}"
        # Short timeouts: a request that needs the graph should fail in seconds, not hang.
        driver = GraphDatabase.driver(
            address, auth=auth, connection_timeout=5, connection_acquisition_timeout=10, max_transaction_retry_time=10
        )
        previous = db.driver
        try:
            db.set_connection(driver=driver)  # asks the server its version: fails here if it is down
        except RETRYABLE as error:
            driver.close()
            _connected_url = None  # neomodel now holds the dead driver: the next call must reconnect
            raise GraphUnavailable(f"Neo4j at {address} is unreachable: {error}") from error
        finally:
            if previous is not None and previous is not driver:
                previous.close()
        _connected_url = url


def cypher(query, params=None):
    """Run one statement (its own transaction) and return its rows."""
    connect()
    try:
        rows, _ = db.cypher_query(query, params or {})
    except RETRYABLE as error:
        raise GraphUnavailable(f"Neo4j is unavailable: {error}") from error
    return rows


def stream(query, params=None):
    """Rows of a read that may be large, one at a time, without holding them all."""
    connect()
    try:
        with db.driver.session() as session:
            yield from session.run(query, params or {})
    except RETRYABLE as error:
        raise GraphUnavailable(f"Neo4j is unavailable: {error}") from error


def install_schema(stdout=None):
    """Create the constraints and indexes of NODE_CLASSES; an existing one is left as it is (neomodel
    then writes the server's "already exists" message to stdout)."""
    connect()
    out = stdout or io.StringIO()
    for node_class in NODE_CLASSES:
        try:
            db.install_labels(node_class, quiet=stdout is None, stdout=out)
        except Neo4jError as error:
            raise GraphUnavailable(f"Neo4j refused the schema: {error}") from error


def expected_indexes(node_classes=NODE_CLASSES) -> set[tuple[str, str]]:
    """(label, property) of every index the node classes declare, unique or not."""
    return {
        (node_class.__label__, name)
        for node_class in node_classes
        for name, prop in node_class.defined_properties(aliases=False, rels=False).items()
        if prop.unique_index or prop.index
    }


def missing_indexes(expected=None) -> list[str]:
    """ "Label.property" of each expected index the server lacks. Without them every MERGE and every
    lookup by key scans all nodes of the label: a newly formatted Neo4j has none until
    `manage.py graph_schema` (or `rebuild_graph`) runs."""
    rows = cypher("SHOW INDEXES YIELD labelsOrTypes, properties RETURN labelsOrTypes, properties")
    present = {(labels[0], props[0]) for labels, props in rows if labels and props and len(props) == 1}
    return sorted(f"{label}.{name}" for label, name in (expected or expected_indexes()) - present)


class SchemaMissing(Exception):
    """The Neo4j mirror lacks indexes: it answers, but every query scans."""


def schema_probe():
    """/readyz's check of the mirror's schema (degraded, never critical), when Neo4j serves the graph."""
    if settings.GRAPH_BACKEND != "neo4j":
        return
    missing = missing_indexes()
    if missing:
        raise SchemaMissing(f"missing indexes {', '.join(missing)}: run manage.py graph_schema")


def drop_space(space):
    """Delete every node of one space (a test's, the benchmark's), leaving other spaces alone."""
    for label in ("User", "Conversation", "GraphRebuild"):
        cypher(
            f"MATCH (n:{label} {{space: $space}}) CALL (n) {{ DETACH DELETE n }} IN TRANSACTIONS OF 5000 ROWS",
            {"space": space},
        )
