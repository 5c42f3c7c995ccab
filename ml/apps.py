from django.apps import AppConfig


class MlConfig(AppConfig):
    name = "ml"
    verbose_name = "ML moderation"

    def ready(self):
        from ml import handlers  # noqa: F401  (registers the event handlers)
