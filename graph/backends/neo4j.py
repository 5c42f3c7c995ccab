"""The Neo4j adapter: a read-optimised mirror of the relational truth, queried in Cypher.

graph.mirror keeps it current from domain events; `manage.py rebuild_graph --to neo4j` rebuilds
it. The node and edge model is described in graph.backends.neo4j_nodes.
"""

import time

from graph.backends.base import (
    DEFAULT_WEIGHTS,
    MAX_HOPS,
    SCORE_DECIMALS,
    GraphBackend,
    Relation,
    Suggestion,
)
from graph.backends.neo4j_nodes import cypher


def suggestions_query(weights=DEFAULT_WEIGHTS):
    """The Cypher twin of the sql adapter's query: the same walk, features, rounding and order
    (see RankerWeights). What the user already has (to leave out) is gathered once, before the
    walk, and checked per candidate as a list, not as one graph probe per candidate. Degrees are
    the FRIEND edges counted from the node's degree store, and made floats so that every
    division is a float one."""
    w = weights
    places = SCORE_DECIMALS
    return f"""
MATCH (me:User {{key: $key}})
WITH me,
     [(me)-[:FRIEND|REQUESTED|BLOCKS]-(x) | x] + [(me)-[:FOLLOWS]->(x) | x] AS known,
     COUNT {{ (me)-[:FRIEND]-() }} AS du
MATCH (me)-[:FRIEND]-(z:User)
WITH me, known, du, z, toFloat(COUNT {{ (z)-[:FRIEND]-() }}) AS dz
MATCH (z)-[:FRIEND]-(y:User)
WHERE y <> me
WITH me, known, du, y, count(*) AS cn, sum(1 / dz) AS ra,
     sum(CASE WHEN dz > 1 THEN 1 / log(dz) ELSE 0.0 END) AS aa
ORDER BY round(ra, {places}) DESC, y.user_id
WITH me, known, du, collect({{y: y, cn: cn, ra: ra, aa: aa}}) AS two
CALL (me, two) {{
  UNWIND two[..{int(w.via)}] AS v
  WITH me, v, v.y AS y
  WITH me, v, y, toFloat(COUNT {{ (y)-[:FRIEND]-() }}) AS dy
  MATCH (y)-[:FRIEND]-(c:User)
  WHERE c <> me
  WITH c, sum(v.ra / dy) AS r3, sum(v.aa / dy) AS a3
  RETURN collect({{c: c, r3: r3, a3: a3}}) AS three
}}
UNWIND [t IN two | {{c: t.y, cn: t.cn, ra: t.ra, aa: t.aa, r3: 0.0, a3: 0.0}}]
     + [t IN three | {{c: t.c, cn: 0, ra: 0.0, aa: 0.0, r3: t.r3, a3: t.a3}}] AS part
WITH me, known, du, part.c AS c, sum(part.cn) AS cn, sum(part.ra) AS ra, sum(part.aa) AS aa,
     sum(part.r3) AS r3, sum(part.a3) AS a3
WHERE c.active AND NOT c IN known
WITH me, c, cn,
     {float(w.adamic_adar)!r} * aa + {float(w.resource_allocation)!r} * ra * du
     + {float(w.log_mutual)!r} * log(1 + cn) + {float(w.walk3_ra)!r} * r3 * du + {float(w.walk3_aa)!r} * a3 AS score
ORDER BY round(score, {places}) DESC, c.user_id
LIMIT {int(w.pool)} + $limit
WITH c, cn, score,
     [(me)-[:MEMBER_OF]->(m)<-[:MEMBER_OF]-(c) | 1.0 / (COUNT {{ (m)<-[:MEMBER_OF]-() }} - 1)] AS shared
WITH c, cn, size(shared) AS shared, score + {float(w.conversations)!r} * reduce(s = 0.0, x IN shared | s + x) AS score
RETURN c.user_id AS user_id, cn AS mutual, shared, score
ORDER BY round(score, {places}) DESC, user_id
LIMIT $limit
"""


RELATION = """
MATCH (a:User {key: $a}), (b:User {key: $b})
RETURN EXISTS { (a)-[:FOLLOWS]->(b) }, EXISTS { (b)-[:FOLLOWS]->(a) }, EXISTS { (a)-[:FRIEND]-(b) },
       EXISTS { (a)-[:REQUESTED]->(b) }, EXISTS { (b)-[:REQUESTED]->(a) },
       EXISTS { (a)-[:BLOCKS]->(b) }, EXISTS { (b)-[:BLOCKS]->(a) }
"""

PUT_USER = """
MERGE (u:User {key: $key})
ON CREATE SET u.space = $space, u.user_id = $user_id
SET u.username = $username, u.active = $active, u.at = $now
"""

# Between the pair, in the order of Relation's fields: (edge type, from the lower id?, flag seen from
# the lower id). FRIEND is stored once, from the lower id.
PAIR_EDGES = (
    ("FOLLOWS", True, "follows"),
    ("FOLLOWS", False, "followed_by"),
    ("FRIEND", True, "friends"),
    ("REQUESTED", True, "request_sent"),
    ("REQUESTED", False, "request_received"),
    ("BLOCKS", True, "blocks"),
    ("BLOCKS", False, "blocked_by"),
)


def _put_pair_query():
    # Setting `at` on both nodes first takes their write locks, so two syncs of one pair run one
    # after the other and never both create the same edge.
    lines = [
        "MERGE (lo:User {key: $lo_key}) ON CREATE SET lo.space = $space, lo.user_id = $lo, lo.active = true",
        "MERGE (hi:User {key: $hi_key}) ON CREATE SET hi.space = $space, hi.user_id = $hi, hi.active = true",
        "SET lo.at = $now, hi.at = $now",
    ]
    for edge_type, from_lower, flag in PAIR_EDGES:
        src, dst = ("lo", "hi") if from_lower else ("hi", "lo")
        lines += [
            "WITH DISTINCT lo, hi",
            f"FOREACH (_ IN CASE WHEN ${flag} THEN [1] ELSE [] END |",
            f"  MERGE ({src})-[r:{edge_type}]->({dst}) ON CREATE SET r.at = $now)",
            "WITH lo, hi",
            f"OPTIONAL MATCH ({src})-[r:{edge_type}]->({dst}) WHERE NOT ${flag}",
            "DELETE r",
        ]
    return "\n".join(lines)


PUT_PAIR = _put_pair_query()

JOIN_CONVERSATION = """
MERGE (u:User {key: $user_key}) ON CREATE SET u.space = $space, u.user_id = $user_id, u.active = true
MERGE (c:Conversation {key: $conversation_key})
ON CREATE SET c.space = $space, c.conversation_id = $conversation_id
SET u.at = $now, c.at = $now
MERGE (u)-[r:MEMBER_OF]->(c) ON CREATE SET r.at = $now
"""

LEAVE_CONVERSATION = """
MATCH (u:User {key: $user_key})-[r:MEMBER_OF]->(c:Conversation {key: $conversation_key})
DELETE r
"""


def now_ms():
    return int(time.time() * 1000)


class Neo4jGraph(GraphBackend):
    name = "neo4j"
    mirrors = True

    def __init__(self, space, weights=None):
        if not space:
            raise ValueError("a Neo4j graph needs a space (GRAPH_NEO4J_SPACE)")
        self.space = space
        if weights is not None:
            self.weights = weights

    def user_key(self, user_id):
        return f"{self.space}:{user_id}"

    def conversation_key(self, conversation_id):
        return f"{self.space}:{conversation_id}"

    # --- reads ---

    def ranked(self, user_id, limit):
        rows = cypher(suggestions_query(self.weights), {"key": self.user_key(user_id), "limit": limit})
        return [(Suggestion(c, mutual, shared), score) for c, mutual, shared, score in rows]

    def path(self, from_id, to_id, max_hops=MAX_HOPS):
        rows = cypher(
            f"""
            MATCH (a:User {{key: $a}}), (b:User {{key: $b}})
            MATCH p = shortestPath((a)-[:FRIEND*..{int(max_hops)}]-(b))
            RETURN [n IN nodes(p) | n.user_id]
            """,
            {"a": self.user_key(from_id), "b": self.user_key(to_id)},
        )
        return rows[0][0] if rows else None

    def relation(self, a_id, b_id):
        rows = cypher(RELATION, {"a": self.user_key(a_id), "b": self.user_key(b_id)})
        return Relation(*rows[0]) if rows else Relation()

    # --- mirror hooks ---

    def put_user(self, user_id, *, username, active):
        cypher(
            PUT_USER,
            {
                "key": self.user_key(user_id),
                "space": self.space,
                "user_id": user_id,
                "username": username,
                "active": active,
                "now": now_ms(),
            },
        )

    def remove_user(self, user_id):
        cypher("MATCH (u:User {key: $key}) DETACH DELETE u", {"key": self.user_key(user_id)})

    def put_pair(self, a_id, b_id, relation):
        lo, hi = sorted((a_id, b_id))
        seen_from_lower = relation if lo == a_id else relation.flipped()
        cypher(
            PUT_PAIR,
            {
                "lo": lo,
                "hi": hi,
                "lo_key": self.user_key(lo),
                "hi_key": self.user_key(hi),
                "space": self.space,
                "now": now_ms(),
                **seen_from_lower.as_dict(),
            },
        )

    def put_membership(self, user_id, conversation_id, member):
        params = {"user_key": self.user_key(user_id), "conversation_key": self.conversation_key(conversation_id)}
        if member:
            params |= {
                "space": self.space,
                "user_id": user_id,
                "conversation_id": str(conversation_id),
                "now": now_ms(),
            }
            cypher(JOIN_CONVERSATION, params)
        else:
            cypher(LEAVE_CONVERSATION, params)
