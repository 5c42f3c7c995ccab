"""What moderation keeps: who is banned, and an append-only log of every moderator action."""

from django.conf import settings
from django.db import models
from django.utils import timezone

REASON_MAX_LENGTH = 500


class AppendOnly(Exception):
    """A change to a row that, once written, is history."""


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnly("The audit log is append-only.")

    def delete(self):
        raise AppendOnly("The audit log is append-only.")


class AuditLog(models.Model):
    """One moderator action: who, what, on which target, when, and why.

    Written by moderation.actions in the transaction of the action itself, so an action without
    its row (or a row without its action) cannot exist. Rows are never changed or deleted.
    """

    class Action(models.TextChoices):
        BAN_USER = "ban_user", "ban user"
        UNBAN_USER = "unban_user", "unban user"
        DEACTIVATE_USER = "deactivate_user", "deactivate user"
        REACTIVATE_USER = "reactivate_user", "reactivate user"
        DELETE_MESSAGE = "delete_message", "delete message"
        RESOLVE_REPORT = "resolve_report", "resolve report"
        DISMISS_REPORT = "dismiss_report", "dismiss report"
        APPROVE_HELD = "approve_held", "approve held message"
        REJECT_HELD = "reject_held", "reject held message"
        RESET_TWO_FACTOR = "reset_two_factor", "reset two-factor sign-in"
        REMOVE_AVATAR = "remove_avatar", "remove profile picture"

    class Target(models.TextChoices):
        USER = "user"
        MESSAGE = "message"
        REPORT = "report"

    # The name is kept beside the key so that the log still says who acted after their account goes.
    moderator = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    moderator_name = models.CharField(max_length=150)
    action = models.CharField(max_length=24, choices=Action.choices)
    target_type = models.CharField(max_length=16, choices=Target.choices)
    # A user or report id, or a message's UUID: messages live in the message store, not in this database.
    target_id = models.CharField(max_length=64)
    reason = models.TextField()
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["target_type", "target_id"], name="audit_target_idx"),
            models.Index(fields=["created_at"], name="audit_created_idx"),
        ]
        # No add, change or delete permission exists to grant: only the actions write here.
        default_permissions = ("view",)
        permissions = [
            ("ban_user", "Can ban and unban users"),
            ("deactivate_user", "Can deactivate and reactivate users"),
            ("resolve_report", "Can resolve and dismiss reports"),
            ("reset_two_factor", "Can reset users' two-factor sign-in"),
            ("remove_avatar", "Can remove users' profile pictures"),
        ]

    def __str__(self):
        return f"{self.moderator_name} {self.action} {self.target_type} {self.target_id}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnly("The audit log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnly("The audit log is append-only.")


class Ban(models.Model):
    """A user banned now. Unbanning deletes the row; the audit log keeps every ban and unban."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, primary_key=True, on_delete=models.CASCADE, related_name="ban"
    )
    reason = models.TextField()
    banned_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    banned_at = models.DateTimeField(default=timezone.now)

    class Meta:
        default_permissions = ("view",)  # written only by the ban and unban actions

    def __str__(self):
        return f"ban of {self.user_id}"


class Message(models.Model):
    """No table: the admin's entry for messages, which live behind the message store port (SQL or
    MongoDB, chats.backends). Its admin searches and deletes through the store and the actions,
    and its default permissions are the ones that gate that: moderation.view_message (search)
    and moderation.delete_message (delete with a reason)."""

    id = models.UUIDField(primary_key=True)

    class Meta:
        managed = False
        default_permissions = ("view", "delete")

    def __str__(self):
        return f"message {self.id}"


class MessageReport(models.Model):
    """The moderation queue: a member's report of a message, for staff to decide on."""

    class Status(models.TextChoices):
        OPEN = "open"
        DISMISSED = "dismissed"
        ACTIONED = "actioned"

    conversation = models.ForeignKey("chats.Conversation", on_delete=models.CASCADE, related_name="+")
    message_id = models.UUIDField()
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=500)
    # What the reporter saw, kept for the moderator even if the sender edits or deletes it.
    text_snapshot = models.TextField(blank=True)
    sender_id = models.BigIntegerField(null=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        db_table = "chats_messagereport"  # where the chat app first made it
        constraints = [models.UniqueConstraint(fields=["message_id", "reporter"], name="one_report_per_reporter")]
        indexes = [models.Index(fields=["status", "created_at"], name="chats_messa_status_b243a3_idx")]

    def __str__(self):
        return f"report {self.pk} on {self.message_id}"
