"""The social graph adapter that GRAPH_BACKEND selects: "sql" (the default) or "neo4j"."""

from django.conf import settings

from graph.backends.base import GraphBackend, GraphUnavailable, Relation, Suggestion

__all__ = ["GraphBackend", "GraphUnavailable", "Relation", "Suggestion", "get_backend", "sql_graph"]


def get_backend() -> GraphBackend:
    # Cheap to build, and built per call so that a changed setting (a test's, a command's) takes effect.
    if settings.GRAPH_BACKEND == "neo4j":
        from graph.backends.neo4j import Neo4jGraph

        return Neo4jGraph(settings.GRAPH_NEO4J_SPACE)
    if settings.GRAPH_BACKEND == "sql":
        return sql_graph()
    raise ValueError(f"GRAPH_BACKEND must be sql or neo4j, not {settings.GRAPH_BACKEND!r}")


def sql_graph() -> GraphBackend:
    """The relational tables themselves: the truth, whatever GRAPH_BACKEND says."""
    from graph.backends.sql import SqlGraph

    return SqlGraph()
