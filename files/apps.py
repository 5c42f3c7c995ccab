from django.apps import AppConfig


class FilesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "files"
    verbose_name = "Files"

    def ready(self):
        from django.conf import settings

        from accounts.signals import profile_changed
        from files import avatars

        profile_changed.connect(avatars.forget_dropped, dispatch_uid="files.avatars.forget_dropped")

        if settings.STORAGE_URL:
            from chatsite import health

            health.register_probe("storage", ping_storage, critical=False)


def ping_storage():
    from chatsite.health import PING_TIMEOUT
    from files.backends import get_storage

    get_storage().ping(PING_TIMEOUT)
