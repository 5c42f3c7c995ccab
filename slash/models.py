from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone

NAME_PATTERN = r"\A[a-z0-9_-]{1,32}\Z"


class BotCommand(models.Model):
    """A slash command a bot's owner registered: `/name` in a conversation the bot is in sends a
    signed `command` event to the bot's outgoing webhook there; its answer becomes the bot's message."""

    bot = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=32, validators=[RegexValidator(NAME_PATTERN)])
    description = models.CharField(max_length=100)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["bot", "name"], name="slash_one_name_per_bot")]
        indexes = [models.Index(fields=["name"])]

    def __str__(self):
        return f"/{self.name} ({self.bot_id})"
