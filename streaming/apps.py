from django.apps import AppConfig


class StreamingConfig(AppConfig):
    name = "streaming"
    verbose_name = "Event streaming"

    def ready(self):
        from django.utils.module_loading import autodiscover_modules

        # Every app's handlers.py registers its @handles functions here, in the web process, the
        # consumers and the workers alike, without each app having to remember to import it.
        autodiscover_modules("handlers")
