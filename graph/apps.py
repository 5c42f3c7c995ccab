from django.apps import AppConfig


class GraphConfig(AppConfig):
    name = "graph"
    verbose_name = "Social graph"

    def ready(self):
        from django.conf import settings

        from chatsite import health
        from graph import handlers  # noqa: F401  (registers the event handlers)
        from graph.backends.neo4j_nodes import schema_probe

        if settings.NEO4J_URL:
            health.register_probe("neo4j_schema", schema_probe, critical=False)
