import uuid

from django.db import models
from django.utils import timezone


class OutboxEvent(models.Model):
    """A domain event, written in the same transaction as the change it describes.

    The relay publishes unsent rows and stamps sent_at; consumers dedupe by id, so publishing
    a row twice (a relay killed between publish and mark) is harmless.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    type = models.CharField(max_length=64)
    version = models.PositiveSmallIntegerField(default=1)
    key = models.CharField(max_length=64, help_text="Partition key: conversation id or user id.")
    actor_id = models.BigIntegerField(null=True, blank=True)
    payload = models.JSONField(default=dict)
    occurred_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["sent_at", "occurred_at"], name="outbox_unsent_idx"),
        ]
        ordering = ["occurred_at"]

    def __str__(self):
        return f"{self.type} {self.id}"

    def envelope(self):
        return {
            "id": str(self.id),
            "type": self.type,
            "version": self.version,
            "occurred_at": self.occurred_at.isoformat(),
            "actor": self.actor_id,
            "key": self.key,
            "payload": self.payload,
        }
