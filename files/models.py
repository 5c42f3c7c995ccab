"""Uploaded files. The bytes live in the object store (files.backends); a row says what they are,
whose they are, and which message uses them."""

import uuid

from django.conf import settings
from django.db import models


class Upload(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "waiting for the client's presigned upload"
        READY = "ready", "ready to attach"

    class Kind(models.TextChoices):
        IMAGE = "image"
        FILE = "file"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="uploads")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.READY)
    # Sanitized; shown to people and used in Content-Disposition, never as a storage path.
    name = models.CharField(max_length=160)
    # Decided from the bytes (files.sniff), never from what the client said.
    content_type = models.CharField(max_length=100, blank=True)
    kind = models.CharField(max_length=5, choices=Kind.choices, default=Kind.FILE)
    # Bytes stored (original and thumbnails); for a pending upload, what the client announced.
    size = models.PositiveBigIntegerField(default=0)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    animated = models.BooleanField(default=False)
    placeholder = models.TextField(blank=True, help_text="A tiny blurred image as a data: URL.")
    variants = models.JSONField(default=list, blank=True, help_text="Thumbnail sizes stored beside the original.")
    created_at = models.DateTimeField(auto_now_add=True)
    # Set once, by the send that uses it (chats.attachments port).
    message_id = models.UUIDField(null=True, blank=True, db_index=True)
    conversation_id = models.UUIDField(null=True, blank=True)
    sender_id = models.BigIntegerField(null=True, blank=True)
    attached_at = models.DateTimeField(null=True, blank=True)
    # When its message became a tombstone: the file goes after TOMBSTONE_RETENTION_DAYS.
    released_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        indexes = [models.Index(fields=["owner", "created_at"], name="upload_owner_idx")]

    def __str__(self):
        return f"{self.name} ({self.id})"

    @property
    def key(self):
        return f"uploads/{self.id}"

    def variant_key(self, variant="original"):
        return f"{self.key}/{variant}"

    def storage_keys(self):
        return [self.variant_key(v) for v in ["original", *self.variants]]


class PurgeRun(models.Model):
    """One run of a retention job, kept for the admin: what went and why."""

    class Reason(models.TextChoices):
        UNATTACHED = "unattached", "never attached to a message"
        DELETED = "deleted", "its message was deleted"

    reason = models.CharField(max_length=10, choices=Reason.choices)
    ran_at = models.DateTimeField(auto_now_add=True)
    older_than = models.DateTimeField()
    files = models.PositiveIntegerField(default=0)
    bytes = models.PositiveBigIntegerField(default=0)

    class Meta:
        ordering = ["-ran_at"]

    def __str__(self):
        return f"{self.get_reason_display()}: {self.files} files at {self.ran_at:%Y-%m-%d %H:%M}"


class LinkPreview(models.Model):
    """What a page said about itself when it was last fetched: the cache of link previews, by URL.
    A page that gave nothing (or could not be fetched) is kept too, so it is not asked again
    before LINK_PREVIEW_TTL_SECONDS pass."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    url_hash = models.CharField(max_length=64, unique=True, help_text="sha256 of the URL")
    url = models.TextField()
    found = models.BooleanField(default=False)
    title = models.CharField(max_length=300, blank=True)
    description = models.TextField(blank=True)
    site_name = models.CharField(max_length=100, blank=True)
    # The page's image, thumbnailed and stored under image_key: readers never load it from the page's site.
    image_key = models.CharField(max_length=200, blank=True)
    image_width = models.PositiveIntegerField(null=True, blank=True)
    image_height = models.PositiveIntegerField(null=True, blank=True)
    fetched_at = models.DateTimeField(db_index=True)

    def __str__(self):
        return self.url[:100]
