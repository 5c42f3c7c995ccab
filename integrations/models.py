"""Webhooks: how bots talk to the outside. Bots themselves are users (accounts.bots)."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class IncomingWebhook(models.Model):
    """A secret URL that posts into one conversation as one bot. Only the secret's SHA-256 is
    kept (it is a long random string), so the table alone can't post anything."""

    conversation = models.ForeignKey("chats.Conversation", on_delete=models.CASCADE, related_name="+")
    bot = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=64)
    secret_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return self.name


class OutgoingWebhook(models.Model):
    """Where a bot hears a conversation: every message, or only those that mention the bot, is
    POSTed as a signed JSON event (integrations.outgoing) to `url`. The secret signs them; it is
    kept as is, since signing needs it."""

    class Trigger(models.TextChoices):
        ALL = "all", "every message"
        MENTION = "mention", "messages that mention the bot"

    conversation = models.ForeignKey("chats.Conversation", on_delete=models.CASCADE, related_name="+")
    bot = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    url = models.URLField(max_length=500)
    trigger = models.CharField(max_length=8, choices=Trigger.choices, default=Trigger.MENTION)
    secret = models.CharField(max_length=64, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"{self.bot_id} <- {self.conversation_id} ({self.trigger})"


class Delivery(models.Model):
    """One event for one outgoing webhook, and how its delivery went: the delivery log."""

    class Status(models.TextChoices):
        PENDING = "pending"
        DELIVERED = "delivered"
        FAILED = "failed"

    webhook = models.ForeignKey(OutgoingWebhook, on_delete=models.CASCADE, related_name="deliveries")
    message_id = models.UUIDField()
    payload = models.JSONField()  # the event as sent, so that every retry sends the same thing
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    reply_message_id = models.UUIDField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "deliveries"
        ordering = ["-created_at", "-id"]
        # A redelivered event (at least once, from the bus) queues no second delivery.
        constraints = [models.UniqueConstraint(fields=["webhook", "message_id"], name="integrations_delivery_once")]

    def __str__(self):
        return f"delivery {self.pk} ({self.status})"
