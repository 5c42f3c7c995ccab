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
    # In-process delivery only (no Kafka): failed handler runs so far, and the last error.
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["sent_at", "occurred_at"], name="outbox_unsent_idx"),
            # The relay's claim: only unsent rows, so it stays small however many sent rows the
            # table keeps until the trim job runs.
            models.Index(fields=["occurred_at"], condition=models.Q(sent_at__isnull=True), name="outbox_pending_idx"),
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


class ProcessedEvent(models.Model):
    """An event a consumer group has handled. Written in the same transaction as the handlers'
    database effects, so a redelivered event (at-least-once) is recognised and skipped."""

    group = models.CharField(max_length=100)
    event_id = models.UUIDField()
    processed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["group", "event_id"], name="processed_once_per_group")]
        indexes = [models.Index(fields=["processed_at"], name="processed_event_age_idx")]

    def __str__(self):
        return f"{self.group} {self.event_id}"
