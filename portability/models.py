import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class DataExport(models.Model):
    """A person's own data as a zip (GDPR): built by a Celery task, offered to its owner until
    `expires_at`, then its file is purged and the row stays as the record that it happened."""

    class Status(models.TextChoices):
        PENDING = "pending"
        RUNNING = "running"
        READY = "ready"
        FAILED = "failed"
        EXPIRED = "expired"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    progress = models.PositiveSmallIntegerField(default=0)  # percent
    size = models.PositiveBigIntegerField(default=0)
    error = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "expires_at"]), models.Index(fields=["user", "created_at"])]

    def __str__(self):
        return f"data export of {self.user_id} ({self.status})"

    @property
    def key(self):
        """Where the zip lives in the object store (files.backends)."""
        return f"exports/{self.id}.zip"
