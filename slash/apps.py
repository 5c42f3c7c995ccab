from django.apps import AppConfig


class SlashConfig(AppConfig):
    name = "slash"
    verbose_name = "Slash commands"
