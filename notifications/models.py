"""Where notifications go (devices), what people want (preferences), and what was sent
(one Notification per message, person and destination; each try of it is a DeliveryAttempt)."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class Level(models.TextChoices):
    ALL = "all"  # every message of a direct or group conversation, and mentions and keywords anywhere
    MENTIONS = "mentions"  # mentions, @all where allowed, and keywords
    NOTHING = "nothing"


class Channel(models.TextChoices):
    PUSH = "push"
    EMAIL = "email"
    SMS = "sms"


# Kinds of event a person chooses channels for.
DIRECT, MENTION = "direct", "mention"
EVENT_KINDS = (DIRECT, MENTION)


def default_channels():
    return {DIRECT: [Channel.PUSH.value, Channel.EMAIL.value], MENTION: [Channel.PUSH.value, Channel.EMAIL.value]}


class PushDevice(models.Model):
    """A browser's Web Push subscription, or a phone's FCM or APNs token."""

    class Kind(models.TextChoices):
        WEBPUSH = "webpush"
        FCM = "fcm"
        APNS = "apns"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="push_devices")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    # Web Push: the push service's URL and the browser's keys (base64url).
    endpoint = models.URLField(max_length=1024, blank=True)
    p256dh = models.CharField(max_length=128, blank=True)
    auth = models.CharField(max_length=64, blank=True)
    # FCM and APNs.
    token = models.CharField(max_length=512, blank=True)
    app_id = models.CharField(max_length=200, blank=True)
    locale = models.CharField(max_length=35, blank=True)
    # The endpoint or token: registering it again (or from another account) updates one row.
    address = models.CharField(max_length=1100, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_success_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"{self.kind} device of user {self.user_id}"


class Preferences(models.Model):
    """One person's defaults. Missing means the defaults below."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True)
    level = models.CharField(max_length=8, choices=Level.choices, default=Level.ALL)
    keywords = models.JSONField(default=list, blank=True)
    muted_until = models.DateTimeField(null=True, blank=True)
    # Do-not-disturb hours in the person's own time zone; start after end spans midnight.
    dnd_start = models.TimeField(null=True, blank=True)
    dnd_end = models.TimeField(null=True, blank=True)
    time_zone = models.CharField(max_length=64, default="UTC")
    language = models.CharField(max_length=16, blank=True)
    push_shows_text = models.BooleanField(default=True)
    channels = models.JSONField(default=default_channels)
    # SMS needs a number the person proved is theirs.
    phone = models.CharField(max_length=20, blank=True)
    phone_verified = models.BooleanField(default=False)

    class Meta:
        verbose_name_plural = "preferences"

    def __str__(self):
        return f"notification preferences of user {self.user_id}"


class ConversationPreference(models.Model):
    """One person's choice for one conversation; level FOLLOW uses their default."""

    FOLLOW = "default"
    LEVELS = [(FOLLOW, "Follow the default"), *Level.choices]

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    conversation_id = models.UUIDField()
    level = models.CharField(max_length=8, choices=LEVELS, default=FOLLOW)
    muted_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "conversation_id"], name="one_pref_per_conversation")]

    def __str__(self):
        return f"user {self.user_id} in {self.conversation_id}: {self.level}"


class ConversationRule(models.Model):
    """What a conversation's admins decide for everyone in it."""

    conversation_id = models.UUIDField(primary_key=True)
    mention_all_notifies = models.BooleanField(default=True)

    def __str__(self):
        return f"rules of {self.conversation_id}"


class Notification(models.Model):
    """One message for one person through one destination (a device, their e-mail, their phone).
    `key` is unique, so a trigger that runs twice (a redelivered event) plans nothing new."""

    class Status(models.TextChoices):
        PENDING = "pending"
        SENDING = "sending"
        SENT = "sent"
        SKIPPED = "skipped"  # read, deleted or looked at before it was due
        FAILED = "failed"
        WITHDRAWN = "withdrawn"  # read on some device after it was shown: a withdrawal followed

    # The reason of a row that takes a read conversation's notification off a device.
    WITHDRAWAL = "withdraw"

    key = models.CharField(max_length=120, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(max_length=8, choices=Channel.choices)
    device = models.ForeignKey(PushDevice, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    conversation_id = models.UUIDField()
    message_id = models.UUIDField()
    seq = models.PositiveBigIntegerField()
    sender_id = models.BigIntegerField()
    reason = models.CharField(max_length=12)  # direct, mention, mention_all, keyword
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    # When the message was committed (the event's time): the start of the commit-to-push latency.
    occurred_at = models.DateTimeField()
    due_at = models.DateTimeField()
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["status", "channel", "due_at"]),
            models.Index(fields=["user", "conversation_id", "status"]),
        ]

    def __str__(self):
        return f"{self.channel} for user {self.user_id}: message {self.message_id}"


class DeliveryAttempt(models.Model):
    class Outcome(models.TextChoices):
        OK = "ok"
        RETRY = "retry"  # 429 or 5xx: tried again later
        GONE = "gone"  # the destination no longer exists; the device was removed
        ERROR = "error"  # refused for good

    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="attempts")
    channel = models.CharField(max_length=8, choices=Channel.choices)
    device_kind = models.CharField(max_length=8, blank=True)
    outcome = models.CharField(max_length=8, choices=Outcome.choices)
    status_code = models.PositiveIntegerField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField()
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self):
        return f"{self.channel} {self.outcome} ({self.status_code})"


class Digest(models.Model):
    """A person's next e-mail: their missed messages gather here until it is due."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    due_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user"], condition=models.Q(sent_at__isnull=True), name="one_open_digest")
        ]

    def __str__(self):
        return f"digest of user {self.user_id} due {self.due_at:%Y-%m-%d %H:%M}"


class PhoneChallenge(models.Model):
    """A code sent by SMS to the number a person wants texts at; the number counts as theirs
    (Preferences.phone_verified) once they type the code back. Only the code's hash is kept."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True)
    phone = models.CharField(max_length=20)
    code_hash = models.CharField(max_length=128)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)

    def __str__(self):
        return f"phone check of user {self.user_id}"
