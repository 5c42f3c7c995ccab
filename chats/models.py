import uuid

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Conversation(models.Model):
    class Kind(models.TextChoices):
        DIRECT = "direct"
        GROUP = "group"
        CHANNEL = "channel"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    title = models.CharField(max_length=100, blank=True)
    topic = models.CharField(max_length=250, blank=True)
    # Only channels can be public: anyone may read and join them.
    is_public = models.BooleanField(default=False)
    # "lowid:highid" for a direct conversation, so the database itself allows one per pair.
    direct_key = models.CharField(max_length=41, null=True, blank=True, unique=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    archived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["kind", "is_public"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(is_public=False) | models.Q(kind="channel"), name="only_channels_are_public"
            ),
        ]

    def __str__(self):
        return self.title or f"{self.kind} {self.id}"

    @property
    def is_archived(self):
        return self.archived_at is not None


class Membership(models.Model):
    class Role(models.TextChoices):
        OWNER = "owner"
        ADMIN = "admin"
        MEMBER = "member"

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=8, choices=Role.choices, default=Role.MEMBER)
    joined_at = models.DateTimeField(auto_now_add=True)
    last_read_seq = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["conversation", "user"], name="one_membership_per_user")]
        indexes = [models.Index(fields=["user", "conversation"])]

    def __str__(self):
        return f"{self.user_id} in {self.conversation_id} ({self.role})"

    @property
    def is_admin(self):
        return self.role in (self.Role.OWNER, self.Role.ADMIN)


class HeldMessage(models.Model):
    """A send the moderation models held for review. It is not in the message store: it has no seq
    and no event, so no other member can see it, live or on replay, until a moderator releases it;
    then it is sent as its sender wrote it, with its client_id (a retry finds it)."""

    class State(models.TextChoices):
        PENDING = "pending"
        APPROVED = "approved"
        REJECTED = "rejected"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="held")
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="held_messages")
    client_id = models.CharField(max_length=64)
    text = models.TextField()
    parent_id = models.UUIDField(null=True, blank=True)
    attachment_ids = models.JSONField(default=list, blank=True)  # uploads sent with it, claimed on approval
    code = models.CharField(max_length=32)  # spam_suspected or abuse_suspected: why it was held
    scores = models.JSONField(default=dict, blank=True)
    state = models.CharField(max_length=8, choices=State.choices, default=State.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    message_id = models.UUIDField(null=True, blank=True)  # the message it became, once approved
    thread_root_id = models.UUIDField(null=True, blank=True)  # the thread it replies in, if any

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["conversation", "sender", "client_id"], name="one_hold_per_send")
        ]
        indexes = [models.Index(fields=["state", "created_at"])]

    def __str__(self):
        return f"held {self.code} from {self.sender_id} in {self.conversation_id}"


class ThreadSummary(models.Model):
    """A thread root's reply count and last reply, for either message store. It lives in the
    relational DB because the relational transaction is the commit of every send on both stores
    (the Mongo store takes its seqs there too): the count moves with the reply's own commit or
    rollback, which MongoDB without multi-document transactions could not promise on its own."""

    root_id = models.UUIDField(primary_key=True)
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="+")
    reply_count = models.PositiveIntegerField(default=0)  # live replies; a deleted one is taken off
    last_reply_at = models.DateTimeField(null=True, blank=True)
    last_reply_seq = models.PositiveBigIntegerField(default=0)

    def __str__(self):
        return f"thread {self.root_id}: {self.reply_count} replies"


class ThreadFollow(models.Model):
    """A user's relation to a thread: whether they follow it, and how far they have read it. Made
    when they start it, reply or are mentioned; an unfollow (following=False) is kept, so that a
    later reply of someone else does not follow them again."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="thread_follows")
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="+")
    root_id = models.UUIDField()
    following = models.BooleanField(default=True)
    last_read_seq = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "root_id"], name="one_follow_per_thread")]
        indexes = [models.Index(fields=["root_id", "following"])]

    def __str__(self):
        return f"{self.user_id} on thread {self.root_id}"


# --- Tables of the SQL message store. Only chats/backends/sql.py reads or writes them. ---


class SeqCounter(models.Model):
    """The last seq handed out in a conversation; its row lock serializes writers."""

    conversation_id = models.UUIDField(primary_key=True)
    last_seq = models.PositiveBigIntegerField(default=0)

    def __str__(self):
        return f"{self.conversation_id} at {self.last_seq}"


class MongoSeqCounter(models.Model):
    """The last seq handed out in a conversation of the MongoDB message store (chats/backends/mongo.py).

    Same role as SeqCounter: its row lock serializes a conversation's writers and a rollback gives the
    seq back. The Mongo store reads it as the committed end of each log. A table of its own, so that
    the two stores keep apart counters and `manage.py migrate_store` can copy one into the other."""

    conversation_id = models.UUIDField(primary_key=True)
    last_seq = models.PositiveBigIntegerField(default=0)

    def __str__(self):
        return f"{self.conversation_id} at {self.last_seq} (mongo)"


class StoredMessage(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    conversation_id = models.UUIDField()
    seq = models.PositiveBigIntegerField()
    sender_id = models.BigIntegerField()
    client_id = models.CharField(max_length=64)
    text = models.TextField(blank=True)
    parent_id = models.UUIDField(null=True, blank=True)
    mentions = models.JSONField(default=list)
    mention_all = models.BooleanField(default=False)
    attachments = models.JSONField(default=list, blank=True)
    previews = models.JSONField(null=True, blank=True)  # None: not looked for yet (Message.previews)
    created_at = models.DateTimeField()
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    pinned_at = models.DateTimeField(null=True, blank=True)
    pinned_by_id = models.BigIntegerField(null=True, blank=True)
    thread_root_id = models.UUIDField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["conversation_id", "seq"], name="message_seq_unique"),
            models.UniqueConstraint(fields=["conversation_id", "sender_id", "client_id"], name="message_client_unique"),
        ]
        indexes = [
            models.Index(fields=["conversation_id", "sender_id"], name="message_sender_idx"),
            models.Index(
                fields=["thread_root_id", "seq"], condition=Q(thread_root_id__isnull=False), name="message_thread_idx"
            ),
            # The main log's pages (page(top_level=True)): only top-level rows, so a run of replies
            # costs the page nothing. MySQL has no partial index; there it is the seq index's scan.
            models.Index(
                fields=["conversation_id", "seq"],
                condition=Q(thread_root_id__isnull=True),
                name="message_top_level_idx",
            ),
        ]

    def __str__(self):
        return f"message {self.conversation_id}#{self.seq}"


class StoredEdit(models.Model):
    """A message's earlier text; the newest text stays on the message."""

    message = models.ForeignKey(StoredMessage, on_delete=models.CASCADE, related_name="edits")
    text = models.TextField(blank=True)
    replaced_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"edit of {self.message_id}"


class StoredReaction(models.Model):
    message = models.ForeignKey(StoredMessage, on_delete=models.CASCADE, related_name="reactions")
    user_id = models.BigIntegerField()
    emoji = models.CharField(max_length=32)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["message", "user_id", "emoji"], name="one_reaction_per_emoji")]

    def __str__(self):
        return f"{self.emoji} by {self.user_id}"


class StoredEvent(models.Model):
    """The conversation's event log: what a reconnecting client replays, by seq."""

    conversation_id = models.UUIDField()
    seq = models.PositiveBigIntegerField()
    type = models.CharField(max_length=32)
    actor_id = models.BigIntegerField(null=True)
    message_id = models.UUIDField(null=True, blank=True)
    data = models.JSONField(default=dict)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["conversation_id", "seq"], name="event_seq_unique")]

    def __str__(self):
        return f"{self.type} {self.conversation_id}#{self.seq}"


class RetentionPolicy(models.Model):
    """Delete messages older than `days`: in every conversation of a kind, or in one conversation.
    A conversation's own policy wins over its kind's (chats.retention)."""

    kind = models.CharField(max_length=16, choices=Conversation.Kind.choices, blank=True)
    conversation = models.OneToOneField(Conversation, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    days = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "retention policies"
        constraints = [
            # Exactly one of kind and conversation.
            models.CheckConstraint(
                condition=(Q(kind="") & Q(conversation__isnull=False)) | (~Q(kind="") & Q(conversation__isnull=True)),
                name="chats_retention_kind_xor_conversation",
            ),
            models.UniqueConstraint(fields=["kind"], condition=~Q(kind=""), name="chats_retention_one_per_kind"),
        ]

    def __str__(self):
        where = f"conversation {self.conversation_id}" if self.conversation_id else f"every {self.kind}"
        return f"{where}: {self.days} days"


class RetentionRun(models.Model):
    """The audit of retention: each run of each policy, what it deleted, and when."""

    policy = models.ForeignKey(RetentionPolicy, null=True, on_delete=models.SET_NULL, related_name="runs")
    policy_text = models.CharField(max_length=200)  # what the policy said then, if it changes or goes
    cutoff = models.DateTimeField()
    deleted = models.PositiveIntegerField(default=0)
    conversations = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self):
        return f"{self.policy_text}: {self.deleted} deleted"
