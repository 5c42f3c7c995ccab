from django.apps import AppConfig


class GraphConfig(AppConfig):
    name = "graph"
    verbose_name = "Social graph"

    def ready(self):
        from graph import handlers  # noqa: F401  (registers the event handlers)
