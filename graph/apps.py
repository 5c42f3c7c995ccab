from django.apps import AppConfig


class GraphConfig(AppConfig):
    name = "graph"
    verbose_name = "Social graph"

    def ready(self):
        from django.conf import settings

        from chatsite import health
        from graph import handlers  # noqa: F401  (registers the event handlers)

        if settings.NEO4J_URL:
            # Only then: the Neo4j driver and neomodel stay out of an embedded server's start-up.
            from graph.backends.neo4j_nodes import schema_probe

            health.register_probe("neo4j_schema", schema_probe, critical=False)
