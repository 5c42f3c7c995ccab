from django.apps import AppConfig


class ChatsConfig(AppConfig):
    name = "chats"
    verbose_name = "Chats"

    def ready(self):
        from accounts.signals import profile_changed
        from chats import profiles

        profile_changed.connect(profiles.announce, dispatch_uid="chats.profiles.announce")
