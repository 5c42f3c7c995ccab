"""What ml keeps: the registry of trained model versions, the labels moderators' decisions make,
and for a while the text of sent messages (a later decision names a message by id only)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

KINDS = ("spam", "abuse")


class Kind(models.TextChoices):
    SPAM = "spam"
    ABUSE = "abuse"


class ModelVersion(models.Model):
    """One trained model. Its artefact is ML_MODELS_DIR/<name>/<version>/model.skops, and `sha256`
    is that file's hash: loading refuses a file that does not match."""

    class Status(models.TextChoices):
        CANDIDATE = "candidate"  # trained, not (yet) judged by the gate
        ACTIVE = "active"  # the one scoring messages; at most one per name
        REJECTED = "rejected"  # lost to the active model at the gate
        RETIRED = "retired"  # was active once; a rollback can bring it back

    name = models.CharField(max_length=16, choices=Kind.choices)
    version = models.PositiveIntegerField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.CANDIDATE)
    sha256 = models.CharField(max_length=64)
    # On the held-out split: precision, recall, f1, roc_auc, threshold, n; and the gate's verdict.
    metrics = models.JSONField(default=dict, blank=True)
    params = models.JSONField(default=dict, blank=True)
    data_sources = models.JSONField(default=list, blank=True)
    code_version = models.CharField(max_length=64, blank=True)
    trained_at = models.DateTimeField(default=timezone.now)
    promoted_at = models.DateTimeField(null=True, blank=True)
    # Labels the training run saw: the nightly retrain waits for enough newer ones.
    labels_seen = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["name", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["name", "version"], name="ml_version_unique"),
            models.UniqueConstraint(fields=["name"], condition=Q(status="active"), name="ml_one_active_per_name"),
        ]

    def __str__(self):
        return f"{self.name} v{self.version} ({self.status})"

    @property
    def f1(self):
        return self.metrics.get("f1")


class RegistryEvent(models.Model):
    """The registry's audit trail: every promotion, refusal and rollback, by whom and why."""

    class Action(models.TextChoices):
        TRAINED = "trained"
        PROMOTED = "promoted"
        REFUSED = "refused"
        ROLLED_BACK = "rolled_back"

    name = models.CharField(max_length=16, choices=Kind.choices)
    action = models.CharField(max_length=16, choices=Action.choices)
    version = models.PositiveIntegerField()
    previous_version = models.PositiveIntegerField(null=True, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        default_permissions = ("view",)

    def __str__(self):
        return f"{self.name} {self.action} v{self.version}"


class Label(models.Model):
    """One labelled example: a moderator's decision on a message, or an imported row."""

    class Source(models.TextChoices):
        REPORT_ACTIONED = "report_actioned"
        REPORT_DISMISSED = "report_dismissed"
        HELD_APPROVED = "held_approved"
        HELD_REJECTED = "held_rejected"
        NOT_SPAM = "not_spam"
        MODERATOR_DELETE = "moderator_delete"
        IMPORT = "import"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    text = models.TextField()
    label = models.PositiveSmallIntegerField()  # 1: spam or abusive, 0: not
    source = models.CharField(max_length=20, choices=Source.choices)
    # Null for imported rows; a later decision on the same message replaces the earlier label.
    message_id = models.UUIDField(null=True, blank=True)
    moderator = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "message_id"], condition=Q(message_id__isnull=False), name="ml_label_one_per_message"
            ),
            models.CheckConstraint(condition=Q(label__in=[0, 1]), name="ml_label_binary"),
        ]
        indexes = [models.Index(fields=["kind", "created_at"], name="ml_label_kind_created")]

    def __str__(self):
        return f"{self.kind}={self.label} ({self.source})"


class SentText(models.Model):
    """A sent message's text and scores, kept ML_TEXT_RETENTION_DAYS (tasks.prune_sent_texts), so
    that a report resolved later can become a label: moderation events carry only the message id."""

    message_id = models.UUIDField(primary_key=True)
    conversation_id = models.UUIDField()
    sender_id = models.BigIntegerField()
    text = models.TextField()
    scores = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        default_permissions = ("view",)

    def __str__(self):
        return f"text of {self.message_id}"
