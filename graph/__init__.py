"""The social graph: follows, friends (requests, acceptance), blocks, people you may know, and
degrees of separation.

- models.py: Block, Follow, FriendRequest (pending only), Friendship (a row per direction). These
  relational tables are the one truth, whatever GRAPH_BACKEND says.
- actions.py / selectors.py: every write (check_*, do_*; each emits a graph.* event) and read.
- backends/: the port (base.py) for graph queries, with the sql adapter (queries the truth) and
  the neo4j adapter (a read-optimised mirror in Cypher), chosen by GRAPH_BACKEND.
- mirror.py + handlers.py: domain events keep the mirror equal to the truth, idempotently.
- rebuild.py + `manage.py rebuild_graph --to neo4j [--verify]`: rebuild or check the mirror;
  `manage.py graph_schema` creates its constraints and indexes.
- api/: /api/v1/blocks and /api/v1/graph/.
"""
