from django.apps import AppConfig


class MlConfig(AppConfig):
    name = "ml"
    verbose_name = "ML moderation"

    def ready(self):
        from chatsite import health
        from ml import (
            handlers,  # noqa: F401  (registers the event handlers)
            scoring,
        )

        # Degraded, never critical: without a model, sends are allowed unscored.
        health.register_probe("ml_models", scoring.probe, critical=False)
